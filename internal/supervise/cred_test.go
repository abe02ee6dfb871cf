package supervise

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/health"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/testdisk"
	"golang.org/x/sys/unix"
)

const nobody = 65534

// publicCopy copies the test binary into a new directory that every
// user may enter (the go tool's build directory is root's alone), and
// returns the directory and the copy.
func publicCopy(t *testing.T) (string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "supervise-cred-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "helper")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// procStatus reads the fields of /proc/<pid>/status.
func procStatus(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

func capMask(caps ...int) string {
	var m uint64
	for _, c := range caps {
		m |= 1 << c
	}
	return fmt.Sprintf("%016x", m)
}

// TestServiceAsNobody starts services as uid 65534 and checks what they
// may do and which capabilities they hold, as the kernel reports them.
func TestServiceAsNobody(t *testing.T) {
	testdisk.RequireRoot(t, "start processes as another user")
	dir, bin := publicCopy(t)
	rootOnly := filepath.Join(dir, "root-only")
	if err := os.Mkdir(rootOnly, 0o755); err != nil {
		t.Fatal(err)
	}
	own := func(name string) string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		return d
	}
	plainDir, binderDir := own("plain"), own("binder")
	mainBnd := procStatus(t, "/proc/self/status")["CapBnd"]
	probeEnv := func(ownDir string) []string {
		return helperEnv("probe", "PROBE_ROOT_DIR="+rootOnly, "PROBE_OWN_DIR="+ownDir)
	}
	f := start(t,
		Spec{Name: "plain", Path: bin, Env: probeEnv(plainDir), Dir: plainDir, UID: nobody, GID: nobody},
		Spec{Name: "binder", Path: bin, Env: probeEnv(binderDir), Dir: binderDir, UID: nobody, GID: nobody, Capabilities: []int{unix.CAP_NET_BIND_SERVICE}},
		Spec{Name: "checked", Path: bin, Env: helperEnv("sleep"), UID: nobody, GID: nobody,
			Health: &health.Check{Kind: health.Command, Command: []string{bin, fmt.Sprintf("check:uid:%d", nobody)}, Interval: 50 * time.Millisecond, Timeout: 5 * time.Second}},
		Spec{Name: "rooted", Path: bin, Env: helperEnv("sleep")},
	)
	testdisk.Eventually(t, "both probes", 10*time.Second, func() bool {
		c := f.cons.String()
		return strings.Contains(c, "[plain] probe done") && strings.Contains(c, "[binder] probe done")
	})
	cons := f.cons.String()
	for _, want := range []string{
		"[plain] probe create " + rootOnly + ": EACCES",
		"[plain] probe create " + plainDir + ": ok",
		"[plain] probe listen 80: EACCES",
		"[binder] probe create " + rootOnly + ": EACCES",
		"[binder] probe listen 80: ok",
	} {
		if !strings.Contains(cons, want) {
			t.Errorf("console lacks %q:\n%s", want, cons)
		}
	}
	none, bind := capMask(), capMask(unix.CAP_NET_BIND_SERVICE)
	for _, tt := range []struct {
		name string
		want map[string]string
	}{
		{"plain", map[string]string{"CapInh": none, "CapPrm": none, "CapEff": none, "CapAmb": none, "CapBnd": none, "NoNewPrivs": "1", "Uid": "65534\t65534\t65534\t65534", "Gid": "65534\t65534\t65534\t65534", "Groups": ""}},
		{"binder", map[string]string{"CapInh": bind, "CapPrm": bind, "CapEff": bind, "CapAmb": bind, "CapBnd": bind, "NoNewPrivs": "1", "Uid": "65534\t65534\t65534\t65534"}},
		{"rooted", map[string]string{"CapBnd": mainBnd, "CapEff": mainBnd, "NoNewPrivs": "0", "Uid": "0\t0\t0\t0"}},
	} {
		st := f.status(tt.name)
		got := procStatus(t, fmt.Sprintf("/proc/%d/status", st.PID))
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s (pid %d): %s = %q, want %q", tt.name, st.PID, k, got[k], v)
			}
		}
	}
	// The health command runs as the service's user.
	f.waitHealth(t, "checked", servicestate.HealthHealthy)
	// The threads that started them are gone: every thread of the
	// supervisor keeps its bounding set.
	testdisk.Eventually(t, "no restricted thread left", 5*time.Second, func() bool {
		tasks, _ := filepath.Glob("/proc/self/task/*/status")
		for _, p := range tasks {
			if b, err := os.ReadFile(p); err == nil && !strings.Contains(string(b), "CapBnd:\t"+mainBnd) {
				return false
			}
		}
		return len(tasks) > 0
	})
}

// TestStartAsFailure: an ambient capability outside the bounding set of
// the supervisor cannot be given; the start fails and says why.
func TestStartAsFailure(t *testing.T) {
	testdisk.RequireRoot(t, "start processes as another user")
	_, bin := publicCopy(t)
	f := start(t)
	_, _, err := f.reaper.StartAs(bin, []string{bin}, &os.ProcAttr{Env: helperEnv("exit:0")}, Credential{UID: nobody, GID: nobody, Capabilities: []int{63}})
	if err == nil {
		t.Fatal("capability 63 was granted")
	}
}
