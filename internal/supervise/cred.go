package supervise

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Credential is who a process runs as.
type Credential struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups; none when empty
	// Capabilities (numbers of include/uapi/linux/capability.h) a
	// process that is not root keeps as ambient capabilities. Root keeps
	// every capability and ignores them.
	Capabilities []int
}

// root reports whether c is root's: uid 0, group 0, no other groups.
func (c Credential) root() bool { return c.UID == 0 && c.GID == 0 && len(c.Groups) == 0 }

// StartAs is Start for a process that runs as c. attr.Sys, if given,
// is copied and its Credential and AmbientCaps replaced.
//
// A process that is not root gets exactly c.Capabilities: Go's
// SysProcAttr sets the uid, gid, groups and ambient capabilities, but
// not the bounding set or no_new_privs. Both are per-thread attributes
// that a child inherits from the thread that forks it, so the start
// runs on an OS thread of its own (onOwnThread) that first drops every
// other capability from its bounding set and sets no_new_privs, and
// ends with the start. Go creates no thread from a locked one (it uses
// a clean template thread), so nothing else inherits them either.
func (r *Reaper) StartAs(path string, argv []string, attr *os.ProcAttr, c Credential) (int, <-chan Exit, error) {
	a := *attr
	sys := &syscall.SysProcAttr{}
	if attr.Sys != nil {
		*sys = *attr.Sys
	}
	a.Sys = sys
	if c.root() {
		return r.Start(path, argv, &a)
	}
	sys.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: c.Groups}
	if c.UID == 0 {
		return r.Start(path, argv, &a) // root with other groups: every capability
	}
	sys.AmbientCaps = make([]uintptr, len(c.Capabilities))
	for i, cp := range c.Capabilities {
		sys.AmbientCaps[i] = uintptr(cp)
	}
	var (
		pid    int
		exited <-chan Exit
		err    error
	)
	onOwnThread(func() {
		if err = restrictThread(c.Capabilities); err == nil {
			pid, exited, err = r.Start(path, argv, &a)
		}
	})
	return pid, exited, err
}

// onOwnThread runs f on an OS thread that ends with it, so that what f
// changes of its thread is not seen by anything else.
func onOwnThread(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: Go ends the thread when this goroutine returns
		if unix.Gettid() == unix.Getpid() {
			// The main thread is not ended but parked for good, and
			// /proc/<pid>/status shows its attributes as the
			// process's: hold it and use another.
			onOwnThread(f)
			runtime.UnlockOSThread()
			return
		}
		f()
	}()
	<-done
}

// restrictThread limits the calling thread's bounding set to keep and
// sets no_new_privs on it.
func restrictThread(keep []int) error {
	for cp := 0; cp <= lastCap(); cp++ {
		if slices.Contains(keep, cp) {
			continue
		}
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(cp), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) && cp > 0 {
			break // beyond the kernel's capabilities
		}
		if err != nil {
			return fmt.Errorf("supervise: drop capability %d from the bounding set: %w", cp, err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("supervise: set no_new_privs: %w", err)
	}
	return nil
}

// lastCap is the kernel's highest capability number.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
		return n
	}
	return unix.CAP_LAST_CAP
}
