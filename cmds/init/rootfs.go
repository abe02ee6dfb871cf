package main

import (
	"github.com/u-root/u-root/pkg/libinit"
	"github.com/u-root/u-root/pkg/ulog"
	"golang.org/x/sys/unix"
)

// The mounts and nodes of Plinth's root filesystem. u-root's own list
// (libinit.CreateRootfs) also makes /buildbin, /ubin, /env, /tcz, /lib,
// /usr/lib, /var/log and /go world-writable (mode 0777 under umask 0),
// mounts debugfs, and copies /etc into /tmp/etc and binds it back, which
// drops every file's owner and setuid/setgid bit. Services that run as
// their own users must find /etc as the image made it and no directory
// they may write outside their own and /tmp, so Plinth creates only what
// it uses. Directories from the initramfs are root 0755 already.
var (
	devfs = []libinit.Creator{
		libinit.Dir{Name: "/dev", Mode: 0o755},
		libinit.Mount{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs"},
	}
	rootfs = []libinit.Creator{
		libinit.Dir{Name: "/proc", Mode: 0o555},
		libinit.Mount{Source: "proc", Target: "/proc", FSType: "proc"},
		libinit.Dir{Name: "/tmp", Mode: 0o1777},
		libinit.Mount{Source: "tmpfs", Target: "/tmp", FSType: "tmpfs", Opts: "mode=1777"},
		libinit.Dir{Name: "/dev/pts", Mode: 0o755},
		libinit.Mount{Source: "devpts", Target: "/dev/pts", FSType: "devpts", Opts: "newinstance,ptmxmode=666,gid=5,mode=620"},
		// With a new devpts instance /dev/ptmx must point into it.
		libinit.Symlink{NewPath: "/dev/ptmx", Target: "/dev/pts/ptmx"},
		// POSIX shared memory (shm_open) needs a world-writable /dev/shm.
		libinit.Dir{Name: "/dev/shm", Mode: 0o1777},
		libinit.Mount{Source: "tmpfs", Target: "/dev/shm", FSType: "tmpfs", Opts: "mode=1777"},
		libinit.Dir{Name: "/sys", Mode: 0o555},
		libinit.Mount{Source: "sysfs", Target: "/sys", FSType: "sysfs"},
		libinit.Mount{Source: "securityfs", Target: "/sys/kernel/security", FSType: "securityfs"},
		libinit.Mount{Source: "efivarfs", Target: "/sys/firmware/efi/efivars", FSType: "efivarfs"},
	}
)

// createRootfs mounts /dev first so that init's kernel log works, then
// the rest.
func createRootfs() {
	libinit.Create(devfs, false)
	ulog.KernelLog.Reinit()
	libinit.Create(rootfs, false)
	unix.Umask(0o022)
}
