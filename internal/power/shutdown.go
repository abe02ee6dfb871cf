package power

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Action is what to do after shutting down.
type Action int

const (
	PowerOff Action = iota
	Reboot
)

func (a Action) String() string {
	if a == Reboot {
		return "reboot"
	}
	return "power-off"
}

// ActionForSignal maps a signal to an action; ok is false for signals
// that are no power request.
func ActionForSignal(sig os.Signal) (a Action, ok bool) {
	switch sig {
	case unix.SIGTERM, unix.SIGINT, unix.SIGPWR:
		return PowerOff, true
	case unix.SIGHUP:
		return Reboot, true
	}
	return 0, false
}

// Signals returns the signals ActionForSignal maps, for signal.Notify.
func Signals() []os.Signal { return []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGPWR, unix.SIGHUP} }

// Steps are the shutdown operations, replaceable for tests. SystemSteps
// returns the real ones.
type Steps struct {
	Out          io.Writer         // progress for people
	StopServices func()            // stop the payload (may be nil)
	KillAll      func(unix.Signal) // signal every remaining process but init and us
	Sync         func()            // sync(2)
	Mount        func(source, target, fstype string, flags uintptr, data string) error
	Unmount      func(target string, flags int) error
	Reboot       func(cmd int) error
	Sleep        func(time.Duration)
	MountPoints  []string // unmounted in this order, e.g. /data then /boot/efi
}

// SystemSteps returns Steps that act on the running system.
func SystemSteps(out io.Writer, stopServices func(), mountPoints ...string) Steps {
	return Steps{
		Out:          out,
		StopServices: stopServices,
		KillAll:      func(sig unix.Signal) { unix.Kill(-1, sig) },
		Sync:         unix.Sync,
		Mount:        unix.Mount,
		Unmount:      unix.Unmount,
		Reboot:       unix.Reboot,
		Sleep:        time.Sleep,
		MountPoints:  mountPoints,
	}
}

// Shutdown stops everything, unmounts the mount points and powers off or
// reboots. It returns only if reboot(2) fails.
func Shutdown(a Action, s Steps) error {
	say := func(format string, args ...any) {
		if s.Out != nil {
			fmt.Fprintf(s.Out, format+"\r\n", args...)
		}
	}
	if s.StopServices != nil {
		say("Stopping services.")
		s.StopServices()
	}
	// Orphans the services left behind could keep /data busy.
	s.KillAll(unix.SIGTERM)
	s.Sleep(500 * time.Millisecond)
	s.KillAll(unix.SIGKILL)
	s.Sync()
	for _, mp := range s.MountPoints {
		if err := unmount(s, mp); err != nil {
			say("Warning: %v", err)
		}
	}
	s.Sync()
	cmd := unix.LINUX_REBOOT_CMD_POWER_OFF
	if a == Reboot {
		cmd = unix.LINUX_REBOOT_CMD_RESTART
		say("Rebooting.")
	} else {
		say("Powering off.")
	}
	if err := s.Reboot(cmd); err != nil {
		return fmt.Errorf("power: reboot(%s): %w", a, err)
	}
	return nil
}

// unmount retries a busy mount point, then makes it read-only so that at
// least nothing more is written, then detaches it. Not mounted is fine.
func unmount(s Steps, mp string) error {
	var err error
	for i := 0; i < 3; i++ {
		err = s.Unmount(mp, 0)
		if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil // EINVAL: not a mount point (never mounted)
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		s.Sleep(300 * time.Millisecond)
	}
	rerr := s.Mount("", mp, "", unix.MS_REMOUNT|unix.MS_RDONLY, "")
	s.Unmount(mp, unix.MNT_DETACH)
	if rerr != nil {
		return fmt.Errorf("unmount %s: %v; remount read-only: %v", mp, err, rerr)
	}
	return fmt.Errorf("unmount %s: %v (remounted read-only and detached)", mp, err)
}
