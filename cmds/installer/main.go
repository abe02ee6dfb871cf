// Command installer is the uinit of Plinth's installer image: u-root's
// init starts it on the console after mounting /dev, /proc and /sys.
//
// It shows the machine (CPU, memory, disks by model, size and serial),
// emits the "ready" event for automation and waits for a key: p powers
// off, r reboots. It never returns, because u-root's init would panic
// ("Attempted to kill init") if it did.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/console"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/sysinfo"
	"golang.org/x/sys/unix"
)

// releaseFile is written into the initramfs by mkiso.
const releaseFile = "/etc/plinth/release.json"

// release describes the image being installed.
type release struct {
	Product string `json:"product"`
	Version string `json:"version"`
}

func main() {
	cons, err := console.Open("/sys", "/dev")
	if err != nil {
		// Nothing to talk to: write where init's stdio goes and wait.
		fmt.Fprintf(os.Stderr, "installer: %v\n", err)
		halt(nil)
	}
	out := cons.Text()
	events := event.New(cons.Events())
	rel := readRelease(releaseFile)

	info, err := sysinfo.Read("/proc", "/sys")
	if err != nil {
		fail(out, events, "sysinfo", err)
	}
	disks, err := disk.Scan("/sys")
	if err != nil {
		fail(out, events, "disk-scan", err)
	}
	showSummary(out, rel, info, disks)
	if _, err := os.Stat(install.AnswersPath); err == nil {
		unattended(out, events, rel)
	}
	events.Emit("ready", map[string]any{
		"product": rel.Product,
		"version": rel.Version,
		"cpus":    info.CPUs,
		"memory":  info.MemoryBytes,
		"disks":   disks,
		"uptime":  uptimeSeconds(),
	})
	fmt.Fprint(out, "\r\nPress p to power off, r to reboot.\r\n")
	for k := range cons.Keys() {
		switch k {
		case 'p', 'P':
			fmt.Fprint(out, "Powering off.\r\n")
			shutdown(unix.LINUX_REBOOT_CMD_POWER_OFF)
		case 'r', 'R':
			fmt.Fprint(out, "Rebooting.\r\n")
			shutdown(unix.LINUX_REBOOT_CMD_RESTART)
		}
	}
	halt(out)
}

// unattended installs as the embedded answers file says, then reboots
// or powers off; on any error it reports and falls through to the keys.
func unattended(out io.Writer, events *event.Emitter, rel release) {
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\r\n", args...) }
	report := func(err error) {
		code := install.Code(err)
		if pe, ok := err.(*answers.ParseError); ok {
			events.Emit("error", map[string]any{"code": "answers-invalid", "message": err.Error(), "line": pe.Line, "field": pe.Field})
		} else {
			events.Emit("error", map[string]any{"code": code, "message": err.Error()})
		}
		say("\r\nInstallation stopped: %v\r\nNothing was written unless the message says so.", err)
	}
	data, err := os.ReadFile(install.AnswersPath)
	if err != nil {
		report(err)
		return
	}
	a, err := answers.Parse(data)
	if err != nil {
		report(err)
		return
	}
	var m install.Manifest
	mb, err := os.ReadFile(install.ManifestPath)
	if err == nil {
		err = json.Unmarshal(mb, &m)
	}
	if err != nil {
		report(fmt.Errorf("installer image has no valid manifest: %w", err))
		return
	}
	uki, err := os.ReadFile(install.RuntimeUKIPath)
	if err != nil {
		report(fmt.Errorf("installer image has no runtime image: %w", err))
		return
	}
	vars, _ := efivar.OpenEfivarfs()
	var store efivar.Store
	if vars != nil {
		store = vars
	}
	seed := make([]byte, 32)
	rand.Read(seed)
	say("\r\nUnattended installation (%s).", install.AnswersPath)
	res, err := install.Run(context.Background(), install.Env{
		SysRoot: "/sys", DevRoot: "/dev", ProcRoot: "/proc", Vars: store, Events: events,
		Log: say, Req: installplan.DefaultRequirements(), Seed: seed,
	}, a, m, uki)
	if err != nil {
		report(err)
		return
	}
	events.Emit("installed", map[string]any{
		"disk": res.Disk.Name, "serial": res.Disk.Serial, "bootEntry": efivar.BootOptionName(res.BootEntry),
		"ourEntries": res.OurEntries, "seconds": res.Duration.Seconds(), "after": a.After, "version": m.Version,
	})
	say("Installed %s %s on %s in %s.", m.Product, m.Version, res.Disk.Describe(), res.Duration.Round(time.Second))
	if a.After == answers.AfterPoweroff {
		shutdown(unix.LINUX_REBOOT_CMD_POWER_OFF)
	}
	shutdown(unix.LINUX_REBOOT_CMD_RESTART)
}

func readRelease(path string) release {
	r := release{Product: "Plinth", Version: "unknown"}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &r)
	}
	return r
}

func showSummary(w io.Writer, rel release, info sysinfo.Info, disks []disk.Disk) {
	fmt.Fprintf(w, "\r\n%s installer %s\r\n\r\n", rel.Product, rel.Version)
	fmt.Fprintf(w, "CPU     %d x %s\r\n", info.CPUs, info.CPUModel)
	fmt.Fprintf(w, "Memory  %s\r\n", disk.HumanSize(info.MemoryBytes))
	if len(disks) == 0 {
		fmt.Fprint(w, "Disks   none found\r\n")
	}
	for i, d := range disks {
		label := "        "
		if i == 0 {
			label = "Disks   "
		}
		fmt.Fprintf(w, "%s%s\r\n", label, d.Describe())
	}
}

func uptimeSeconds() float64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return float64(si.Uptime)
}

// fail reports an error to people and automation, then waits for a key.
func fail(out io.Writer, events *event.Emitter, code string, err error) {
	fmt.Fprintf(out, "\r\nError: %v\r\n", err)
	events.Emit("error", map[string]any{"code": code, "message": err.Error()})
}

func shutdown(cmd int) {
	unix.Sync()
	if err := unix.Reboot(cmd); err != nil {
		fmt.Fprintf(os.Stderr, "installer: reboot(%#x): %v\n", cmd, err)
	}
	halt(nil)
}

// halt waits forever: returning would make init panic.
func halt(out io.Writer) {
	if out != nil {
		fmt.Fprint(out, "Installer stopped; power the machine off.\r\n")
	}
	for {
		time.Sleep(time.Hour)
	}
}
