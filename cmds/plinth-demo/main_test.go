package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"golang.org/x/sys/unix"
)

func testServer(t *testing.T) (*server, *bytes.Buffer, *int) {
	vars := t.TempDir()
	// attributes (NV|BS|RT) then BootCurrent = 3, little endian
	os.WriteFile(filepath.Join(vars, "BootCurrent-8be4df61-93ca-11d2-aa0d-00e098032b8c"), []byte{7, 0, 0, 0, 3, 0}, 0o644)
	var log bytes.Buffer
	crashes := 0
	s := &server{
		product: "Plinth", version: "1.2.3", dataDir: t.TempDir(),
		vars:     efivar.NewEfivarfs(vars),
		started:  time.Now().Add(-5 * time.Second),
		hostname: func() (string, error) { return "plinth-3f2a9c", nil },
		uptime:   func() float64 { return 42 },
		crash:    func() { crashes++ },
		log:      &log,
	}
	return s, &log, &crashes
}

func do(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestStatus(t *testing.T) {
	s, log, _ := testServer(t)
	rec := do(t, s.routes(), "GET", "/status")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /status = %d %q", rec.Code, rec.Header())
	}
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Product != "Plinth" || st.Version != "1.2.3" || st.Hostname != "plinth-3f2a9c" || st.SystemUptime != 42 ||
		st.Uptime < 5 || st.PID != os.Getpid() || st.BootCurrent != "0003" {
		t.Errorf("status = %+v", st)
	}
	if st.Data.Path != s.dataDir || st.Data.TotalBytes == 0 || st.Data.FreeBytes > st.Data.TotalBytes || st.Data.AvailableBytes > st.Data.FreeBytes || st.Data.Error != "" {
		t.Errorf("data = %+v", st.Data)
	}
	// The field names are an interface: check them in the raw JSON.
	for _, k := range []string{`"product"`, `"version"`, `"uptime"`, `"hostname"`, `"totalBytes"`, `"freeBytes"`, `"bootCurrent"`} {
		if !strings.Contains(rec.Body.String(), k) {
			t.Errorf("reply lacks %s", k)
		}
	}
	if line := log.String(); !strings.Contains(line, " GET /status 200 ") || strings.Count(line, "\n") != 1 {
		t.Errorf("request log = %q", line)
	}
}

func TestStatusWithoutDataOrUEFI(t *testing.T) {
	s, _, _ := testServer(t)
	s.dataDir = filepath.Join(t.TempDir(), "missing")
	s.vars = efivar.NewEfivarfs(t.TempDir())
	var st Status
	json.Unmarshal(do(t, s.routes(), "GET", "/status").Body.Bytes(), &st)
	if st.BootCurrent != "" || st.Data.Error == "" || st.Data.TotalBytes != 0 {
		t.Errorf("status = %+v", st)
	}
}

func TestCrash(t *testing.T) {
	s, log, crashes := testServer(t)
	h := s.routes()
	if rec := do(t, h, "GET", "/crash"); rec.Code != http.StatusMethodNotAllowed || *crashes != 0 {
		t.Errorf("GET /crash = %d, crashes %d", rec.Code, *crashes)
	}
	rec := do(t, h, "POST", "/crash")
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"exitStatus": 2`) || !rec.Flushed {
		t.Errorf("POST /crash = %d %q flushed=%v", rec.Code, rec.Body, rec.Flushed)
	}
	if *crashes != 1 {
		t.Errorf("crash called %d times", *crashes)
	}
	if !strings.Contains(log.String(), "POST /crash 202") {
		t.Errorf("log = %q", log)
	}
}

func TestPowerHooks(t *testing.T) {
	s, _, _ := testServer(t)
	if rec := do(t, s.routes(), "POST", "/reboot"); rec.Code != http.StatusNotFound {
		t.Errorf("disabled /reboot = %d", rec.Code)
	}
	var sent []unix.Signal
	s.power = func(sig unix.Signal) error { sent = append(sent, sig); return nil }
	h := s.routes()
	do(t, h, "POST", "/reboot")
	do(t, h, "POST", "/poweroff")
	if len(sent) != 2 || sent[0] != unix.SIGHUP || sent[1] != unix.SIGTERM {
		t.Errorf("signals sent = %v", sent)
	}
	s.power = func(unix.Signal) error { return errors.New("EPERM") }
	if rec := do(t, s.routes(), "POST", "/poweroff"); rec.Code != 500 {
		t.Errorf("failing /poweroff = %d", rec.Code)
	}
}

func TestNotFound(t *testing.T) {
	s, _, _ := testServer(t)
	if rec := do(t, s.routes(), "GET", "/"); rec.Code != 404 {
		t.Errorf("GET / = %d", rec.Code)
	}
}

func TestRunFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-nope"}, &out, &errb); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	if code := run([]string{"extra"}, &out, &errb); code != 2 {
		t.Errorf("extra argument: exit %d", code)
	}
	if code := run([]string{"-addr", "256.0.0.1:1"}, &out, &errb); code != 1 {
		t.Errorf("bad address: exit %d", code)
	}
}

// TestRunCrash runs the real server: POST /crash gets its reply, then run
// returns the crash status.
func TestRunCrash(t *testing.T) {
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-efivars", t.TempDir()}, pw, &errb)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatal("no output")
	}
	_, addr, ok := strings.Cut(sc.Text(), "listening on ")
	if !ok {
		t.Fatalf("first line %q", sc.Text())
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get("http://" + addr + "/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post("http://"+addr+"/crash", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), "crashing") {
		t.Errorf("POST /crash = %d %q", resp.StatusCode, body)
	}
	select {
	case c := <-code:
		if c != crashStatus {
			t.Errorf("run returned %d, want %d (stderr %q)", c, crashStatus, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after /crash")
	}
}

// TestRoutesUnderOldMux: the busybox binary runs with httpmuxgo121=1,
// which net/http reads at start-up, so the test re-runs itself with it.
func TestRoutesUnderOldMux(t *testing.T) {
	if os.Getenv("DEMO_OLD_MUX_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRoutesUnderOldMux$", "-test.v")
		cmd.Env = append(os.Environ(), "DEMO_OLD_MUX_CHILD=1", "GODEBUG=httpmuxgo121=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("under httpmuxgo121=1: %v\n%s", err, out)
		}
		return
	}
	s, _, crashes := testServer(t)
	h := s.routes()
	if rec := do(t, h, "GET", "/status"); rec.Code != 200 {
		t.Errorf("GET /status = %d", rec.Code)
	}
	if rec := do(t, h, "POST", "/status"); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET" {
		t.Errorf("POST /status = %d", rec.Code)
	}
	if rec := do(t, h, "POST", "/crash"); rec.Code != http.StatusAccepted || *crashes != 1 {
		t.Errorf("POST /crash = %d", rec.Code)
	}
}
