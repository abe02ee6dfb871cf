package product

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/codeshape"
)

// TestCapabilitiesMatchLinux checks the table against x/sys/unix's
// constants, generated from the kernel's headers.
func TestCapabilitiesMatchLinux(t *testing.T) {
	linux := map[string]int{
		"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "CAP_DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH,
		"CAP_FOWNER": unix.CAP_FOWNER, "CAP_FSETID": unix.CAP_FSETID, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID,
		"CAP_SETUID": unix.CAP_SETUID, "CAP_SETPCAP": unix.CAP_SETPCAP, "CAP_LINUX_IMMUTABLE": unix.CAP_LINUX_IMMUTABLE,
		"CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "CAP_NET_BROADCAST": unix.CAP_NET_BROADCAST, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN,
		"CAP_NET_RAW": unix.CAP_NET_RAW, "CAP_IPC_LOCK": unix.CAP_IPC_LOCK, "CAP_IPC_OWNER": unix.CAP_IPC_OWNER,
		"CAP_SYS_MODULE": unix.CAP_SYS_MODULE, "CAP_SYS_RAWIO": unix.CAP_SYS_RAWIO, "CAP_SYS_CHROOT": unix.CAP_SYS_CHROOT,
		"CAP_SYS_PTRACE": unix.CAP_SYS_PTRACE, "CAP_SYS_PACCT": unix.CAP_SYS_PACCT, "CAP_SYS_ADMIN": unix.CAP_SYS_ADMIN,
		"CAP_SYS_BOOT": unix.CAP_SYS_BOOT, "CAP_SYS_NICE": unix.CAP_SYS_NICE, "CAP_SYS_RESOURCE": unix.CAP_SYS_RESOURCE,
		"CAP_SYS_TIME": unix.CAP_SYS_TIME, "CAP_SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG, "CAP_MKNOD": unix.CAP_MKNOD,
		"CAP_LEASE": unix.CAP_LEASE, "CAP_AUDIT_WRITE": unix.CAP_AUDIT_WRITE, "CAP_AUDIT_CONTROL": unix.CAP_AUDIT_CONTROL,
		"CAP_SETFCAP": unix.CAP_SETFCAP, "CAP_MAC_OVERRIDE": unix.CAP_MAC_OVERRIDE, "CAP_MAC_ADMIN": unix.CAP_MAC_ADMIN,
		"CAP_SYSLOG": unix.CAP_SYSLOG, "CAP_WAKE_ALARM": unix.CAP_WAKE_ALARM, "CAP_BLOCK_SUSPEND": unix.CAP_BLOCK_SUSPEND,
		"CAP_AUDIT_READ": unix.CAP_AUDIT_READ, "CAP_PERFMON": unix.CAP_PERFMON, "CAP_BPF": unix.CAP_BPF,
		"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
	}
	if len(capabilityNames) != len(linux) || len(capabilityNames) != unix.CAP_CHECKPOINT_RESTORE+1 {
		t.Errorf("%d capabilities, want %d (CAP_CHOWN..CAP_CHECKPOINT_RESTORE)", len(capabilityNames), len(linux))
	}
	for name, n := range linux {
		c, err := ParseCapability(name)
		if err != nil || int(c) != n || c.String() != name {
			t.Errorf("ParseCapability(%q) = %d (%v), %v; want %d", name, c, c, err, n)
		}
	}
}

func TestCapabilitySuggestions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"net_admin", "did you mean CAP_NET_ADMIN?"},
		{"CAP_SYSADMIN", "did you mean CAP_SYS_ADMIN?"},
		{"CAP_BPFF", "did you mean CAP_BPF?"},
		{"", "(Linux 6.1 has CAP_CHOWN to CAP_CHECKPOINT_RESTORE)"},
		{"CAP_", "(Linux 6.1 has CAP_CHOWN to CAP_CHECKPOINT_RESTORE)"},
	} {
		_, err := ParseCapability(tc.in)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("ParseCapability(%q) = %v, want an error ending %q", tc.in, err, tc.want)
		}
	}
}

func TestSignals(t *testing.T) {
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
		"SIGHUP": syscall.SIGHUP, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2, "SIGWINCH": syscall.SIGWINCH, "SIGKILL": syscall.SIGKILL} {
		got, err := ParseSignal(name)
		if err != nil || got != sig || SignalName(got) != name {
			t.Errorf("ParseSignal(%q) = %v (%s), %v; want %v", name, got, SignalName(got), err, sig)
		}
	}
	for _, bad := range []string{"SIGSTOP", "SIGSEGV", "TERM", "sigterm", ""} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) succeeded", bad)
		}
	}
}

func TestMode(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		s    string
		perm fs.FileMode
	}{
		{0o644, "0644", 0o644}, {0o4755, "04755", fs.ModeSetuid | 0o755},
		{0o3777, "03777", fs.ModeSetgid | fs.ModeSticky | 0o777}, {0, "0000", 0},
	} {
		if tc.m.String() != tc.s || tc.m.FileMode() != tc.perm {
			t.Errorf("Mode(%o) = %q, %v; want %q, %v", uint32(tc.m), tc.m.String(), tc.m.FileMode(), tc.s, tc.perm)
		}
	}
}

// TestMinSize checks the assumption behind minSize: answers.ParseSize
// takes minSize and refuses anything smaller.
func TestMinSize(t *testing.T) {
	if n, err := answers.ParseSize(answers.FormatSize(minSize)); err != nil || n != minSize {
		t.Errorf("answers.ParseSize(%s) = %d, %v; want %d", answers.FormatSize(minSize), n, err, minSize)
	}
	if _, err := answers.ParseSize("255MiB"); err == nil {
		t.Errorf("answers.ParseSize(255MiB) succeeded: minSize no longer matches its floor")
	}
	if !fewMiB("255MiB") || !fewMiB(" 1 M") || fewMiB("256MiB") || fewMiB("1GiB") || fewMiB("x") {
		t.Errorf("fewMiB misjudges sizes around %s", answers.FormatSize(minSize))
	}
}

func TestFunctionsAreShort(t *testing.T) {
	long, err := codeshape.Longer(80, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range long {
		t.Errorf("%v: split it into named steps", f)
	}
}
