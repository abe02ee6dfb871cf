// Command hangappliance is a service of the end-to-end tests' update
// product (not of real products): it makes the appliance hang, to prove
// that the hardware watchdog resets a machine whose supervisor is stuck.
// After -after it stops (SIGSTOP) its parent, the appliance that
// supervises it, then sleeps. It must run as root.
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	after := flag.Duration("after", 5*time.Second, "how long to wait before stopping the appliance")
	flag.Parse()
	time.Sleep(*after)
	pid := os.Getppid()
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	err := syscall.Kill(pid, syscall.SIGSTOP)
	fmt.Printf("hangappliance: SIGSTOP %d (%s): %v\n", pid, comm, err)
	for {
		time.Sleep(time.Hour)
	}
}
