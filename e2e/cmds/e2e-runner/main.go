// Command e2e-runner is the uinit of the test images the end-to-end tests
// build: it runs the steps listed in /etc/plinth/e2e-steps.json (argv
// lists, no shell), reports each as an "e2e-step" event with its exit
// status and output, then emits "e2e-done" and powers off or reboots.
// It exists only in test images, never in a product image.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/plinth-os/plinth/internal/console"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"golang.org/x/sys/unix"
)

const stepsFile = "/etc/plinth/e2e-steps.json"

// plan is the content of stepsFile.
type plan struct {
	Steps []struct {
		Argv []string `json:"argv"`
	} `json:"steps"`
	After string `json:"after"` // "poweroff" (default) or "reboot"
}

func main() {
	cons, err := console.Open("/sys", "/dev")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		select {}
	}
	events := event.New(cons.Events())
	var p plan
	b, err := os.ReadFile(stepsFile)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		events.Emit(event.Error{Code: errcode.E2ESteps, Message: err.Error()})
		select {}
	}
	// Devices may still be probing (USB, NVMe) when init starts us.
	time.Sleep(2 * time.Second)
	for i, s := range p.Steps {
		cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		seconds := time.Since(start).Seconds()
		code := 0
		if err != nil {
			code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
		}
		fmt.Fprintf(cons.Text(), "$ %v\r\n%s\r\n", s.Argv, out)
		events.Emit(event.E2EStep{Index: i, Argv: s.Argv, Exit: code, Output: string(out), Seconds: seconds})
	}
	events.Emit(event.E2EDone{})
	unix.Sync()
	if p.After == "reboot" {
		unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	}
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
