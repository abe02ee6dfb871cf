package main

import (
	"time"

	"github.com/plinth-os/plinth/internal/netup"
	"golang.org/x/sys/unix"
)

// system is what the supervisor does to the machine beyond files, and its
// timing; tests replace it so that nothing is mounted or configured.
type system struct {
	mount       func(source, target, fstype string, flags uintptr, data string) error
	unmount     func(target string, flags int) error
	sethostname func([]byte) error
	netOps      netup.Ops                                // nil: rtnetlink
	dhcpClient  func(iface string) (netup.Client, error) // nil: nclient4
	diskWait    time.Duration                            // disks (USB above all) may appear late
	addressWait time.Duration                            // runtime-ready waits no longer for DHCP
	minUp       time.Duration                            // "started and not immediately crashed"
	serviceWait time.Duration                            // then an error event, and keep waiting
}

// realSystem acts on the machine.
func realSystem() system {
	return system{
		mount:       unix.Mount,
		unmount:     unix.Unmount,
		sethostname: unix.Sethostname,
		diskWait:    30 * time.Second,
		addressWait: 20 * time.Second,
		minUp:       2 * time.Second,
		serviceWait: 30 * time.Second,
	}
}

// mounter adapts system to esp.Mounter and datapart.Mounter.
type mounter struct{ s *system }

func (m mounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	return m.s.mount(source, target, fstype, flags, data)
}

func (m mounter) Unmount(target string, flags int) error { return m.s.unmount(target, flags) }
