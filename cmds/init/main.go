// Command init is PID 1 of both Plinth images. It does what u-root's
// init does, with u-root's libinit: mount /dev, /proc, /sys, /tmp,
// devpts, efivarfs and the rest (only those: see rootfs.go), bring up
// loopback (see loopbackUp), run /bbin/uinit with the consoles as its output and
// controlling terminal, and reap orphans.
//
// Unlike u-root's init it prints nothing: u-root's prints a banner and
// raises the console log level to "notice", which undoes the quiet boot
// (loglevel=3 on the kernel command line) and puts text over the splash.
// Errors still reach the console.
//
// uinit is not meant to exit (the installer powers off or reboots, the
// appliance does too). If it does, init says so, syncs and reboots after
// a pause, instead of exiting and making the kernel panic.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/u-root/u-root/pkg/cmdline"
	"github.com/u-root/u-root/pkg/libinit"
	"golang.org/x/sys/unix"
)

// uinit is the command init runs.
const uinit = "/bbin/uinit"

// rebootDelay leaves time to read why init is rebooting.
const rebootDelay = 10 * time.Second

func main() {
	libinit.SetEnv()
	createRootfs()
	if err := loopbackUp(); err != nil {
		fmt.Fprintf(os.Stderr, "init: %v\n", err)
	}

	cmd := libinit.Command(uinit,
		libinit.WithTTYControl(true),
		libinit.WithMultiTTY(true, libinit.OpenTTYDevices, cmdline.Consoles()),
		libinit.WithArguments(cmdline.GetUinitArgs()...))
	silent := func(string, ...any) {}
	if libinit.RunCommands(silent, cmd) == 0 {
		fmt.Fprintf(os.Stderr, "init: %s not found: this image is broken; rebooting in %s\n", uinit, rebootDelay)
	} else {
		fmt.Fprintf(os.Stderr, "init: %s exited; rebooting in %s\n", uinit, rebootDelay)
	}
	unix.Sync()
	time.Sleep(rebootDelay)
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART); err != nil {
		fmt.Fprintf(os.Stderr, "init: reboot: %v\n", err)
	}
	for {
		time.Sleep(time.Hour) // PID 1 must not exit
	}
}

// loopbackUp sets lo up with one ioctl. libinit.NetInit does the same
// through the netlink package, whose code, run here for the first time
// in the boot, took 50 to 70 ms under emulation before uinit could
// start; the appliance's network set-up, which needs netlink, runs
// beside other work.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: get flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: set lo up: %w", err)
	}
	return nil
}
