package supervise

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/testdisk"
	"golang.org/x/sys/unix"
)

// TestMain doubles as the service under test: with SUPERVISE_HELPER set
// the test binary behaves as that helper instead of running tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("SUPERVISE_HELPER"); mode != "" {
		helper(mode)
		return
	}
	os.Exit(m.Run())
}

func helper(mode string) {
	kind, arg, _ := strings.Cut(mode, ":")
	switch kind {
	case "exit": // exit:N
		fmt.Println("hello from helper")
		fmt.Fprintln(os.Stderr, "error line")
		var n int
		fmt.Sscan(arg, &n)
		os.Exit(n)
	case "run": // run:DURATION, then exit 1
		d, _ := time.ParseDuration(arg)
		time.Sleep(d)
		os.Exit(1)
	case "sleep":
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "orphan": // leave a grandchild behind and exit
		p, err := os.StartProcess(os.Args[0], os.Args[:1], &os.ProcAttr{
			Env:   append(os.Environ(), "SUPERVISE_HELPER=run:200ms"),
			Files: []*os.File{nil, os.Stdout, os.Stderr},
		})
		if err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		fmt.Println("grandchild", p.Pid)
		os.Exit(0)
	}
	os.Exit(100)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	sup    *Supervisor
	reaper *Reaper
	rec    *eventtest.Recorder
	cons   *syncBuf
	logDir string
}

// start runs a reaper and a supervisor for specs until the test ends.
// Tests using it must not run in parallel: one reaper per process.
func start(t *testing.T, specs ...Spec) *fixture {
	t.Helper()
	f := &fixture{reaper: NewReaper(), rec: &eventtest.Recorder{}, cons: &syncBuf{}, logDir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.reaper.Run(ctx)
		close(done)
	}()
	for i := range specs {
		if specs[i].Path == "" {
			specs[i].Path = os.Args[0]
		}
	}
	sup, err := New(Options{Reaper: f.reaper, Console: f.cons, LogDir: f.logDir, Events: f.rec}, specs)
	if err != nil {
		t.Fatal(err)
	}
	f.sup = sup
	sup.Start()
	t.Cleanup(func() {
		sup.Stop()
		cancel()
		<-done
		f.rec.Check(t)
	})
	return f
}

func helperEnv(mode string) []string { return []string{"SUPERVISE_HELPER=" + mode} }

func TestRestartWithBackoff(t *testing.T) {
	f := start(t, Spec{Name: "crashy", Env: helperEnv("exit:2"), RestartDelay: 40 * time.Millisecond, MaxRestartDelay: 160 * time.Millisecond, StableAfter: 10 * time.Second})
	testdisk.Eventually(t, "5 exits", 10*time.Second, func() bool { return len(f.rec.Named("service-exit")) >= 5 })
	exits := f.rec.Named("service-exit")
	want := []float64{0.04, 0.08, 0.16, 0.16, 0.16}
	for i, w := range want {
		e := exits[i]
		if e["restartIn"] != w || e["code"] != 2.0 || e["status"] != "exit status 2" || e["restarts"] != float64(i) {
			t.Errorf("exit %d = %v, want restartIn %v, code 2, restarts %d", i, e, w, i)
		}
	}
	if starts := f.rec.Named("service-start"); len(starts) < 5 {
		t.Errorf("%d starts for 5 exits", len(starts))
	}
	if st := f.sup.Status()[0]; st.Restarts < 4 || st.LastExit != "exit status 2" {
		t.Errorf("status = %+v", st)
	}
	f.sup.Stop()
	log, err := os.ReadFile(filepath.Join(f.logDir, "crashy.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Z hello from helper\n", "Z error line\n", "supervisor: exit status 2 after", "restarting in 40ms", "restarting in 160ms"} {
		if !bytes.Contains(log, []byte(w)) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	if line := strings.SplitN(string(log), "\n", 2)[0]; len(line) < 24 || line[4] != '-' || line[23] != 'Z' {
		t.Errorf("log line %q has no UTC timestamp", line)
	}
	if c := f.cons.String(); !strings.Contains(c, "[crashy] hello from helper\r\n") || !strings.Contains(c, "[crashy] error line\r\n") {
		t.Errorf("console lacks prefixed output:\n%s", c)
	}
}

func TestBackoffResetsAfterStableRun(t *testing.T) {
	f := start(t, Spec{Name: "flaky", Env: helperEnv("run:150ms"), RestartDelay: 30 * time.Millisecond, MaxRestartDelay: time.Second, StableAfter: 100 * time.Millisecond})
	testdisk.Eventually(t, "3 exits", 10*time.Second, func() bool { return len(f.rec.Named("service-exit")) >= 3 })
	for i, e := range f.rec.Named("service-exit")[:3] {
		if e["restartIn"] != 0.03 || e["code"] != 1.0 {
			t.Errorf("exit %d = %v, want restartIn 0.03 (backoff reset), code 1", i, e)
		}
	}
}

func TestStopSendsTERM(t *testing.T) {
	f := start(t, Spec{Name: "sleeper", Env: helperEnv("sleep"), StopTimeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !f.sup.WaitRunning(ctx, 100*time.Millisecond) {
		t.Fatalf("not running: %+v", f.sup.Status())
	}
	begin := time.Now()
	f.sup.Stop()
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("Stop took %v; SIGTERM should end the helper at once", d)
	}
	st := f.sup.Status()[0]
	if st.State != servicestate.Stopped || st.LastExit != "killed by signal 15 (SIGTERM)" {
		t.Errorf("status = %+v", st)
	}
	if s := f.rec.Named("service-stop"); len(s) != 1 || s[0]["status"] != "killed by signal 15 (SIGTERM)" {
		t.Errorf("stop events = %v", s)
	}
	if len(f.rec.Named("service-exit")) != 0 {
		t.Errorf("a stop was reported as a crash: %v", f.rec.Named("service-exit"))
	}
}

func TestStopKillsAfterTimeout(t *testing.T) {
	f := start(t, Spec{Name: "stubborn", Env: helperEnv("ignore-term"), StopTimeout: 300 * time.Millisecond})
	testdisk.Eventually(t, "helper ready", 5*time.Second, func() bool { return strings.Contains(f.cons.String(), "[stubborn] ready") })
	begin := time.Now()
	f.sup.Stop()
	if d := time.Since(begin); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("Stop took %v, want about the 300ms StopTimeout", d)
	}
	if st := f.sup.Status()[0]; st.LastExit != "killed by signal 9 (SIGKILL)" {
		t.Errorf("status = %+v", st)
	}
	if c := f.cons.String(); !strings.Contains(c, "sending SIGKILL") {
		t.Errorf("console does not say SIGKILL was sent:\n%s", c)
	}
}

func TestWaitRunningCrashing(t *testing.T) {
	f := start(t, Spec{Name: "crashy", Env: helperEnv("exit:1"), RestartDelay: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if f.sup.WaitRunning(ctx, 200*time.Millisecond) {
		t.Errorf("WaitRunning true for a crashing service: %+v", f.sup.Status())
	}
}

func TestStartFailureIsRetried(t *testing.T) {
	f := start(t, Spec{Name: "missing", Path: "/nonexistent/plinth-demo", RestartDelay: 20 * time.Millisecond, MaxRestartDelay: 40 * time.Millisecond})
	testdisk.Eventually(t, "2 failed starts", 5*time.Second, func() bool { return len(f.rec.Named("service-exit")) >= 2 })
	e := f.rec.Named("service-exit")[0]
	if s, _ := e["status"].(string); !strings.HasPrefix(s, "cannot start: ") || !strings.Contains(s, "no such file") {
		t.Errorf("exit event = %v", e)
	}
}

func TestOrphansAreReaped(t *testing.T) {
	if err := SetSubreaper(); err != nil {
		t.Skip(err)
	}
	f := start(t, Spec{Name: "parent", Env: helperEnv("orphan"), RestartDelay: time.Hour})
	testdisk.Eventually(t, "the orphaned grandchild to be reaped", 10*time.Second, func() bool { return f.reaper.Orphans() >= 1 })
}

func TestSignalAfterExit(t *testing.T) {
	f := start(t)
	pid, exited, err := f.reaper.Start(os.Args[0], os.Args[:1], &os.ProcAttr{Env: helperEnv("exit:0")})
	if err != nil {
		t.Fatal(err)
	}
	ex := <-exited
	if ex.PID != pid || ex.Code() != 0 {
		t.Errorf("exit = %+v", ex)
	}
	if err := f.reaper.Signal(pid, unix.SIGTERM); err == nil {
		t.Error("Signal to a reaped PID succeeded")
	}
}

func TestNewRejectsDuplicates(t *testing.T) {
	if _, err := New(Options{Reaper: NewReaper()}, []Spec{{Name: "a"}, {Name: "a"}}); err == nil {
		t.Error("duplicate names accepted")
	}
	if _, err := New(Options{}, nil); err == nil {
		t.Error("missing Reaper accepted")
	}
}
