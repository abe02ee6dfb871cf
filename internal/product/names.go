package product

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/plinth-os/plinth/internal/suggest"
)

// Capability is a Linux capability, by its number in
// include/uapi/linux/capability.h.
type Capability int

// capabilityNames are Linux 6.1's capabilities, CAP_CHOWN (0) to
// CAP_CHECKPOINT_RESTORE (40), indexed by number.
var capabilityNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

func (c Capability) String() string {
	if c >= 0 && int(c) < len(capabilityNames) {
		return capabilityNames[c]
	}
	return fmt.Sprintf("Capability(%d)", int(c))
}

// ParseCapability returns the capability named name, e.g.
// "CAP_NET_BIND_SERVICE". The error names the nearest valid ones.
func ParseCapability(name string) (Capability, error) {
	for i, n := range capabilityNames {
		if n == name {
			return Capability(i), nil
		}
	}
	msg := fmt.Sprintf("unknown capability %q (Linux 6.1 has CAP_CHOWN to CAP_CHECKPOINT_RESTORE)", name)
	if guess := strings.TrimPrefix(strings.ToUpper(name), "CAP_"); guess != "" {
		msg += didYouMean("CAP_"+guess, capabilityNames[:])
	}
	return 0, errors.New(msg)
}

// stopSignals are the signals a service may be stopped with.
var stopSignals = []struct {
	name string
	sig  syscall.Signal
}{
	{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}, {"SIGQUIT", syscall.SIGQUIT},
	{"SIGHUP", syscall.SIGHUP}, {"SIGUSR1", syscall.SIGUSR1}, {"SIGUSR2", syscall.SIGUSR2},
	{"SIGWINCH", syscall.SIGWINCH}, {"SIGKILL", syscall.SIGKILL},
}

// ParseSignal returns the stop signal named name, e.g. "SIGTERM".
func ParseSignal(name string) (syscall.Signal, error) {
	names := make([]string, len(stopSignals))
	for i, s := range stopSignals {
		if s.name == name {
			return s.sig, nil
		}
		names[i] = s.name
	}
	msg := fmt.Sprintf("unknown stop signal %q: want one of %s", name, strings.Join(names, ", "))
	if guess := strings.TrimPrefix(strings.ToUpper(name), "SIG"); guess != "" {
		msg += didYouMean("SIG"+guess, names)
	}
	return 0, errors.New(msg)
}

// SignalName is the name ParseSignal reads for sig.
func SignalName(sig syscall.Signal) string {
	for _, s := range stopSignals {
		if s.sig == sig {
			return s.name
		}
	}
	return fmt.Sprintf("signal %d", int(sig))
}

func didYouMean(s string, known []string) string { return suggest.DidYouMean(s, known) }
