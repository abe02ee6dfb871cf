package supervise

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/health"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/testdisk"
	"golang.org/x/sys/unix"
)

// TestMain doubles as the service under test: with SUPERVISE_HELPER set
// the test binary behaves as that helper, and with a first argument
// "check:..." as a health check command, instead of running tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "check:") {
		check(strings.TrimPrefix(os.Args[1], "check:"))
		return
	}
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
		n, _ := strconv.Atoi(arg)
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
	case "trap-int": // exits 0 on SIGINT
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT)
		fmt.Println("ready")
		<-sigs
		fmt.Println("interrupted")
		os.Exit(0)
	case "orphan": // leave a grandchild behind and exit
		orphan()
	case "serve": // serve:PORT
		serve(arg)
	case "probe":
		probe()
	}
	os.Exit(100)
}

func orphan() {
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

// serve answers GET /health: 503 while $HEALTH_FILE exists, else 200.
func serve(port string) {
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(os.Getenv("HEALTH_FILE")); err == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	fmt.Println(http.ListenAndServe("127.0.0.1:"+port, nil))
	os.Exit(1)
}

// probe tries what a service that is not root may and may not do, and
// says how each went.
func probe() {
	for _, dir := range []string{os.Getenv("PROBE_ROOT_DIR"), os.Getenv("PROBE_OWN_DIR")} {
		f, err := os.Create(filepath.Join(dir, "probe"))
		if err == nil {
			f.Close()
		}
		fmt.Printf("probe create %s: %v\n", dir, errText(err))
	}
	l, err := net.Listen("tcp", "127.0.0.1:80")
	if err == nil {
		l.Close()
	}
	fmt.Printf("probe listen 80: %v\n", errText(err))
	fmt.Println("probe done")
	time.Sleep(time.Hour)
}

func errText(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

// check is a health check command: exists:PATH passes when PATH
// exists, uid:N when it runs as uid N.
func check(what string) {
	kind, arg, _ := strings.Cut(what, ":")
	switch kind {
	case "exists":
		if _, err := os.Stat(arg); err == nil {
			os.Exit(0)
		}
		fmt.Println("not there yet")
	case "uid":
		if strconv.Itoa(os.Getuid()) == arg {
			os.Exit(0)
		}
		fmt.Printf("runs as uid %d\n", os.Getuid())
	}
	os.Exit(1)
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
	sup, err := New(Options{Reaper: f.reaper, Console: f.cons, LogDir: f.logDir, Events: f.rec, MinUp: 100 * time.Millisecond}, specs)
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

func helperEnv(mode string, more ...string) []string {
	return append([]string{"SUPERVISE_HELPER=" + mode}, more...)
}

// status returns the named service's status.
func (f *fixture) status(name string) Status {
	for _, st := range f.sup.Status() {
		if st.Name == name {
			return st
		}
	}
	return Status{}
}

func (f *fixture) waitHealth(t *testing.T, name string, want servicestate.Health) {
	t.Helper()
	testdisk.Eventually(t, name+" "+string(want), 10*time.Second, func() bool { return f.status(name).Health == want })
}

func TestRestartWithBackoff(t *testing.T) {
	f := start(t, Spec{Name: "crashy", Env: helperEnv("exit:2"), BackoffInitial: 40 * time.Millisecond, BackoffMax: 160 * time.Millisecond, StableAfter: 10 * time.Second})
	testdisk.Eventually(t, "5 exits", 10*time.Second, func() bool { return len(f.rec.Named("service-exit")) >= 5 })
	exits := f.rec.Named("service-exit")
	want := []float64{0.04, 0.08, 0.16, 0.16, 0.16}
	for i, w := range want {
		e := exits[i]
		if e["restartIn"] != w || e["code"] != 2.0 || e["status"] != "exit status 2" || e["restarts"] != float64(i) || e["restarting"] != true {
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
	f := start(t, Spec{Name: "flaky", Env: helperEnv("run:150ms"), BackoffInitial: 30 * time.Millisecond, BackoffMax: time.Second, StableAfter: 100 * time.Millisecond})
	testdisk.Eventually(t, "3 exits", 10*time.Second, func() bool { return len(f.rec.Named("service-exit")) >= 3 })
	for i, e := range f.rec.Named("service-exit")[:3] {
		if e["restartIn"] != 0.03 || e["code"] != 1.0 {
			t.Errorf("exit %d = %v, want restartIn 0.03 (backoff reset), code 1", i, e)
		}
	}
}

// TestRestartPolicies: which exits are followed by a restart, and the
// health of a service that is not restarted.
func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		restart Restart
		code    int
		again   bool
		health  servicestate.Health
	}{
		{RestartNever, 0, false, servicestate.HealthHealthy},
		{RestartNever, 2, false, servicestate.HealthUnhealthy},
		{RestartOnFailure, 0, false, servicestate.HealthHealthy},
		{RestartOnFailure, 2, true, servicestate.HealthUnhealthy},
		{RestartAlways, 0, true, servicestate.HealthUnhealthy},
		{"", 3, true, servicestate.HealthUnhealthy}, // on-failure
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s exit %d", tt.restart, tt.code), func(t *testing.T) {
			f := start(t, Spec{Name: "job", Env: helperEnv(fmt.Sprintf("exit:%d", tt.code)), Restart: tt.restart, BackoffInitial: time.Hour})
			testdisk.Eventually(t, "an exit", 10*time.Second, func() bool { return len(f.rec.Named("service-exit")) == 1 })
			f.waitHealth(t, "job", tt.health)
			e := f.rec.Named("service-exit")[0]
			st := f.status("job")
			wantState := servicestate.Exited
			if tt.again {
				wantState = servicestate.Backoff
			}
			if e["restarting"] != tt.again || st.State != wantState {
				t.Errorf("exit event %v, state %s; want restarting %v, state %s", e, st.State, tt.again, wantState)
			}
			if !tt.again && (e["restartIn"] != 0.0 || !strings.Contains(st.Reason, "not restarted")) {
				t.Errorf("exit event %v, reason %q", e, st.Reason)
			}
		})
	}
}

func TestStopSendsStopSignal(t *testing.T) {
	tests := []struct {
		name, mode string
		sig        unix.Signal
		want       string
	}{
		{"default SIGTERM", "sleep", 0, "killed by signal 15 (SIGTERM)"},
		{"SIGINT", "trap-int", unix.SIGINT, "exit status 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, Spec{Name: "sleeper", Env: helperEnv(tt.mode), StopSignal: tt.sig, StopTimeout: 5 * time.Second})
			testdisk.Eventually(t, "helper ready", 5*time.Second, func() bool { return strings.Contains(f.cons.String(), "[sleeper] ready") })
			begin := time.Now()
			f.sup.Stop()
			if d := time.Since(begin); d > 3*time.Second {
				t.Errorf("Stop took %v; the stop signal should end the helper at once", d)
			}
			st := f.sup.Status()[0]
			if st.State != servicestate.Stopped || st.LastExit != tt.want {
				t.Errorf("status = %+v", st)
			}
			if s := f.rec.Named("service-stop"); len(s) != 1 || s[0]["status"] != tt.want {
				t.Errorf("stop events = %v", s)
			}
			if len(f.rec.Named("service-exit")) != 0 {
				t.Errorf("a stop was reported as a crash: %v", f.rec.Named("service-exit"))
			}
		})
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

// TestAfter: a service waits for the one it starts after to be healthy
// (its health command passes), says so, and is stopped before it.
func TestAfter(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "db-ready")
	f := start(t,
		Spec{Name: "db", Env: helperEnv("sleep"), Health: &health.Check{Kind: health.Command, Command: []string{os.Args[0], "check:exists:" + flag}, Interval: 50 * time.Millisecond, Timeout: 5 * time.Second, Retries: 100}},
		Spec{Name: "cache", Env: helperEnv("sleep")},
		Spec{Name: "app", Env: helperEnv("sleep"), After: []string{"db", "cache"}})
	testdisk.Eventually(t, "cache running", 5*time.Second, func() bool { return f.status("cache").State == servicestate.Running })
	time.Sleep(200 * time.Millisecond)
	st := f.status("app")
	if st.State != servicestate.Waiting || st.Health != servicestate.HealthStarting || st.Reason != "waiting for db (starting)" || strings.Join(st.Waiting, ",") != "db" {
		t.Errorf("app while db is not healthy: %+v", st)
	}
	if db := f.status("db"); db.Reason != os.Args[0]+": exit status 1: not there yet" {
		t.Errorf("db's reason = %q", db.Reason)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testdisk.Eventually(t, "app running", 5*time.Second, func() bool { return f.status("app").State == servicestate.Running })
	var order []string
	for _, e := range f.rec.All() {
		switch {
		case e["event"] == "service-health" && e["service"] == "db" && e["health"] == "healthy":
			order = append(order, "db healthy")
		case e["event"] == "service-start" && e["service"] == "app":
			order = append(order, "app started")
		}
	}
	if strings.Join(order, ", ") != "db healthy, app started" {
		t.Errorf("order: %v", order)
	}
	if !strings.Contains(f.cons.String(), "[app] supervisor: waiting for ") {
		t.Errorf("console does not say what app waits for:\n%s", f.cons.String())
	}
	f.sup.Stop()
	var stops []string
	for _, e := range f.rec.Named("service-stop") {
		stops = append(stops, e["service"].(string))
	}
	if len(stops) != 3 || stops[0] != "app" {
		t.Errorf("stopped in the order %v; app must go first", stops)
	}
}

// TestHealthAndWatch: an HTTP-checked service goes starting, healthy,
// unhealthy, healthy, and Watch reports each overall change in order.
func TestHealthAndWatch(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sick := filepath.Join(t.TempDir(), "sick")
	f := start(t, Spec{Name: "web", Env: helperEnv("serve:"+strconv.Itoa(port), "HEALTH_FILE="+sick),
		Health: &health.Check{Kind: health.HTTP, Port: port, Path: "/health", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond, Retries: 2}})
	w := f.sup.Watch()
	next := func(want servicestate.Health) Overall {
		t.Helper()
		select {
		case o := <-w:
			if o.Health != want {
				t.Fatalf("overall %s, want %s: %+v", o.Health, want, o.Services)
			}
			return o
		case <-time.After(10 * time.Second):
			t.Fatalf("no overall %s", want)
		}
		return Overall{}
	}
	next(servicestate.HealthStarting)
	next(servicestate.HealthHealthy)
	if !f.sup.WaitHealthy(context.Background()) {
		t.Error("WaitHealthy false while healthy")
	}
	os.WriteFile(sick, nil, 0o644)
	o := next(servicestate.HealthUnhealthy)
	if bad := o.NotHealthy(); len(bad) != 1 || bad[0].Reason != "GET /health: 503" {
		t.Errorf("not healthy: %+v", bad)
	}
	os.Remove(sick)
	next(servicestate.HealthHealthy)
	f.sup.Stop()
	if _, open := <-w; open {
		t.Error("Watch channel open after Stop")
	}
	var seq []string
	for _, e := range f.rec.Named("service-health") {
		seq = append(seq, e["health"].(string))
	}
	if got := strings.Join(seq, " "); got != "healthy unhealthy healthy" {
		t.Errorf("health events: %s", got)
	}
}

func TestWaitHealthyCrashing(t *testing.T) {
	f := start(t, Spec{Name: "crashy", Env: helperEnv("exit:1"), BackoffInitial: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if f.sup.WaitHealthy(ctx) {
		t.Errorf("WaitHealthy true for a crashing service: %+v", f.sup.Status())
	}
	if o := f.sup.Overall(); o.Health == servicestate.HealthHealthy {
		t.Errorf("overall %+v", o)
	}
}

func TestNoServicesAreHealthy(t *testing.T) {
	f := start(t)
	if o := f.sup.Overall(); o.Health != servicestate.HealthHealthy || len(o.Services) != 0 {
		t.Errorf("overall = %+v", o)
	}
}

func TestStartFailureIsRetried(t *testing.T) {
	f := start(t, Spec{Name: "missing", Path: "/nonexistent/plinth-demo", BackoffInitial: 20 * time.Millisecond, BackoffMax: 40 * time.Millisecond})
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
	f := start(t, Spec{Name: "parent", Env: helperEnv("orphan"), BackoffInitial: time.Hour})
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

func TestRunCommand(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	if err := f.reaper.RunCommand(ctx, []string{os.Args[0], "check:exists:/"}, nil, "/", Credential{}); err != nil {
		t.Errorf("passing command: %v", err)
	}
	err := f.reaper.RunCommand(ctx, []string{os.Args[0], "check:exists:/nonexistent"}, nil, "/", Credential{})
	if err == nil || err.Error() != "exit status 1: not there yet" {
		t.Errorf("failing command: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err = f.reaper.RunCommand(tctx, []string{os.Args[0]}, helperEnv("sleep"), "/", Credential{})
	if err == nil || !strings.HasPrefix(err.Error(), "killed by signal 9 (SIGKILL)") || time.Since(begin) > 3*time.Second {
		t.Errorf("hanging command: %v after %v", err, time.Since(begin))
	}
	if err := f.reaper.RunCommand(ctx, []string{"/nonexistent"}, nil, "/", Credential{}); err == nil || !strings.HasPrefix(err.Error(), "cannot start") {
		t.Errorf("missing command: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, tt := range []struct {
		specs []Spec
		want  string
	}{
		{[]Spec{{Name: "a"}, {Name: "a"}}, "empty or repeated"},
		{[]Spec{{Name: "a", After: []string{"b"}}, {Name: "b"}}, `a starts after "b", which is not a service listed before it`},
		{[]Spec{{Name: "a", After: []string{"nope"}}}, `"nope"`},
	} {
		if _, err := New(Options{Reaper: NewReaper()}, tt.specs); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want %q", tt.specs, err, tt.want)
		}
	}
	if _, err := New(Options{}, nil); err == nil {
		t.Error("missing Reaper accepted")
	}
}
