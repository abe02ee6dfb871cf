package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs main instead of the tests when WRITEPROBE_MAIN is set,
// so that the tests can start the command as another user.
func TestMain(m *testing.M) {
	if os.Getenv("WRITEPROBE_MAIN") != "" {
		main()
		return
	}
	os.Exit(m.Run())
}

var line = regexp.MustCompile(`^writeprobe (\S+) (ok|denied: .+)$`)

func TestProbeOutput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	var out strings.Builder
	ok, denied := probe(&out, []string{dir, filepath.Join(dir, "missing"), file})
	want := fmt.Sprintf("writeprobe %s ok\n"+
		"writeprobe %s/missing denied: no such file or directory\n"+
		"writeprobe %s/file denied: not a directory\n"+
		"writeprobe done ok=1 denied=2\n", dir, dir, dir)
	if out.String() != want || ok != 1 || denied != 2 {
		t.Errorf("probe = %d, %d:\n%s\nwant\n%s", ok, denied, out.String(), want)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n")[:3] {
		if !line.MatchString(l) {
			t.Errorf("line %q does not match %s", l, line)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".writeprobe-*")); len(left) > 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestDirs(t *testing.T) {
	got := dirs("/data/probe", []string{"/data/other"})
	want := "/data/probe /tmp / /etc /bbin /data /data/log /data/other"
	if s := strings.Join(got, " "); !strings.HasPrefix(s, want) {
		t.Errorf("dirs = %s, want %s...", s, want)
	}
	t.Setenv("HOME", "")
	if wd, _ := os.Getwd(); workdir() != wd {
		t.Errorf("workdir without HOME = %s, want %s", workdir(), wd)
	}
}

// TestAsNobody runs writeprobe as uid 65534 with a workdir of its own
// and another service's directory, and reads its lines and its health.
func TestAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run as another user")
	}
	base, err := os.MkdirTemp("", "writeprobe-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	bin := filepath.Join(base, "writeprobe")
	copyFile(t, os.Args[0], bin)
	own, other := filepath.Join(base, "own"), filepath.Join(base, "other")
	os.Mkdir(own, 0o700)
	os.Chown(own, 65534, 65534)
	os.Mkdir(other, 0o750)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-listen", addr, "-other", other)
	cmd.Env = []string{"WRITEPROBE_MAIN=1", "HOME=" + own}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	got := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "writeprobe done") {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			got[m[1]] = m[2]
		} else {
			t.Errorf("unexpected line %q", sc.Text())
		}
	}
	for dir, want := range map[string]string{own: "ok", "/tmp": "ok", "/": "denied: permission denied", "/etc": "denied: permission denied", other: "denied: permission denied"} {
		if got[dir] != want {
			t.Errorf("%s: %q, want %q (all: %v)", dir, got[dir], want, got)
		}
	}
	var resp *http.Response
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if resp, err = http.Get("http://" + addr + "/health"); err == nil {
			break
		}
	}
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /health: %v", err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + addr + "/probe")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "writeprobe "+own+" ok\n") || !strings.Contains(string(body), "writeprobe done ok=") {
		t.Errorf("GET /probe:\n%s", body)
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
