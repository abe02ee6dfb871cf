// Command trivialinit is the init of the boot benchmark's baseline UKI:
// PID 1 that does nothing but print the event the real image would print
// when it is ready (its name in /event), with the same boot times, and
// power off. The benchmark compares the real installer and runtime with
// it on the same kernel, so what is left is what Plinth's own boot costs.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/boottime"
	"golang.org/x/sys/unix"
)

func main() {
	name, err := os.ReadFile("/event")
	if err != nil {
		fmt.Println("trivialinit:", err)
	}
	if err := unix.Mount("devtmpfs", "/dev", "devtmpfs", 0, ""); err != nil {
		fmt.Println("trivialinit: mount /dev:", err)
	}
	bt, err := boottime.Read("/dev/kmsg")
	if err != nil {
		fmt.Println("trivialinit:", err)
	}
	ev, _ := json.Marshal(map[string]any{"event": strings.TrimSpace(string(name)), "uptime": bt.Uptime, "initStarted": bt.InitStarted})
	fmt.Printf("@plinth %s\n", ev)
	time.Sleep(time.Second) // let the console send the line
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
