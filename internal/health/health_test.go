package health

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestTracker(t *testing.T) {
	const sec = time.Second
	fail := errors.New("GET /: 503")
	type obs struct {
		at   time.Duration // since the start
		err  error
		want servicestate.Health
	}
	tests := []struct {
		name  string
		check Check
		seq   []obs
	}{
		{"healthy at once", Check{Retries: 3}, []obs{{sec, nil, healthy}}},
		{"retries after start", Check{Retries: 2}, []obs{{sec, fail, starting}, {2 * sec, fail, unhealthy}, {3 * sec, nil, healthy}}},
		{"the first second is a start period", Check{Retries: 1}, []obs{{sec / 10, fail, starting}, {sec - 1, fail, starting}, {sec, fail, unhealthy}}},
		{"start period: failures do not count", Check{Retries: 1, StartPeriod: 10 * sec}, []obs{{sec, fail, starting}, {9 * sec, fail, starting}, {10 * sec, fail, unhealthy}}},
		{"start period: healthy, then failures count", Check{Retries: 2, StartPeriod: 10 * sec}, []obs{{sec, nil, healthy}, {2 * sec, fail, healthy}, {3 * sec, fail, unhealthy}}},
		{"a pass resets the count", Check{Retries: 2}, []obs{{sec, nil, healthy}, {2 * sec, fail, healthy}, {3 * sec, nil, healthy}, {4 * sec, fail, healthy}, {5 * sec, fail, unhealthy}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Unix(1000, 0)
			tr := tracker{check: tt.check, started: start, state: starting}
			for i, o := range tt.seq {
				if got := tr.observe(start.Add(o.at), o.err); got != o.want {
					t.Fatalf("check %d (at %v, %v) = %s, want %s", i, o.at, o.err, got, o.want)
				}
			}
		})
	}
}

func TestTrackerPace(t *testing.T) {
	start := time.Unix(1000, 0)
	tr := tracker{check: Check{Interval: 10 * time.Second, StartPeriod: time.Minute}, started: start, state: starting}
	for _, tt := range []struct {
		at    time.Duration
		state servicestate.Health
		want  time.Duration
	}{
		{0, starting, firstPace},                                   // first check soon
		{100 * time.Millisecond, starting, firstPace},              // at least firstPace apart
		{400 * time.Millisecond, starting, 100 * time.Millisecond}, // then at a quarter of the time since the start
		{30 * time.Second, starting, time.Second},                  // starting within the start period: at most startPace
		{30 * time.Second, healthy, 10 * time.Second},
		{2 * time.Minute, starting, 10 * time.Second}, // start period over: failures count at Interval
	} {
		tr.state = tt.state
		if got := tr.next(start.Add(tt.at)); got != tt.want {
			t.Errorf("next at %v (%s) = %v, want %v", tt.at, tt.state, got, tt.want)
		}
	}
	tr.check.Interval = 200 * time.Millisecond
	if got := tr.next(start.Add(10 * time.Second)); got != 200*time.Millisecond {
		t.Errorf("next with a short interval = %v, want the interval", got)
	}
}

// server answers with the status in code; it returns the port.
func server(t *testing.T, code *atomic.Int32) int {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/hang":
			<-r.Context().Done()
			return
		case "/moved":
			http.Redirect(w, r, "/health", http.StatusFound)
			return
		}
		w.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	port, _ := strconv.Atoi(u.Port())
	return port
}

// closedPort is a port on 127.0.0.1 nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestProbe(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	port, closed, notHTTP := server(t, &code), closedPort(t), speaker(t, "SSH-2.0-OpenSSH_9.2\r\n")
	run := func(ctx context.Context, argv []string) error {
		switch argv[1] {
		case "ok":
			return nil
		case "hang":
			<-ctx.Done()
			return ctx.Err()
		}
		return errors.New("exit status 1: not ready")
	}
	tests := []struct {
		name   string
		check  Check
		status int32
		want   string
		ok     bool
	}{
		{"http ok", Check{Kind: HTTP, Port: port, Path: "/health"}, 200, "GET /health: 200", true},
		{"http 503", Check{Kind: HTTP, Port: port, Path: "/health"}, 503, "GET /health: 503", false},
		{"http other status wanted", Check{Kind: HTTP, Port: port, Status: 204}, 200, "GET /: 200 (want 204)", false},
		{"http redirect is an answer", Check{Kind: HTTP, Port: port, Path: "/moved", Status: 302}, 200, "GET /moved: 302", true},
		{"http refused", Check{Kind: HTTP, Port: closed, Path: "/health"}, 200, "GET /health: connect 127.0.0.1:" + strconv.Itoa(closed) + ": connection refused", false},
		{"http timeout", Check{Kind: HTTP, Port: port, Path: "/slow", Timeout: 100 * time.Millisecond}, 200, "GET /slow: no answer within 100ms", false},
		{"http answered by something else", Check{Kind: HTTP, Port: notHTTP}, 200, `GET /: malformed HTTP response "SSH-2.0-OpenSSH_9.2"`, false},
		{"tcp ok", Check{Kind: TCP, Port: port}, 200, "connected to 127.0.0.1:" + strconv.Itoa(port), true},
		{"tcp refused", Check{Kind: TCP, Port: closed}, 200, "connect 127.0.0.1:" + strconv.Itoa(closed) + ": connection refused", false},
		{"command ok", Check{Kind: Command, Command: []string{"/bin/ctl", "ok"}}, 200, "/bin/ctl: exit status 0", true},
		{"command fails", Check{Kind: Command, Command: []string{"/bin/ctl", "fail"}}, 200, "/bin/ctl: exit status 1: not ready", false},
		{"command hangs", Check{Kind: Command, Command: []string{"/bin/ctl", "hang"}, Timeout: 50 * time.Millisecond}, 200, "/bin/ctl: no answer within 50ms", false},
		{"unknown kind", Check{Kind: "ping"}, 200, `health: unknown kind of check "ping"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code.Store(tt.status)
			c := tt.check.WithDefaults()
			ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
			defer cancel()
			desc, err := c.Probe(ctx, run)
			got := desc
			if err != nil {
				got = err.Error()
			}
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("Probe = %q, %v; want %q, ok %v", desc, err, tt.want, tt.ok)
			}
		})
	}
}

// speaker is a port on 127.0.0.1 whose server says line to every
// connection and closes it.
func speaker(t *testing.T, line string) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(line))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// TestProbeCancelled checks that an HTTP check ends when its context is
// cancelled, not when its timeout would have: a service being stopped
// is not waited for.
func TestProbeCancelled(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	c := Check{Kind: HTTP, Port: server(t, &code), Path: "/hang", Timeout: time.Minute}.WithDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if _, err := c.Probe(ctx, nil); err == nil {
		t.Fatal("Probe passed with its context cancelled")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Probe returned %s after its context was cancelled", d)
	}
}

func TestMonitorWithCheck(t *testing.T) {
	var code atomic.Int32
	code.Store(503)
	port := server(t, &code)
	rec := &eventtest.Recorder{}
	var changes atomic.Int32
	m := New(Options{Service: "web", Events: rec, OnChange: func() { changes.Add(1) },
		Check: &Check{Kind: HTTP, Port: port, Path: "/health", Interval: 30 * time.Millisecond, Timeout: 20 * time.Millisecond, StartPeriod: time.Hour, Retries: 2}})
	defer m.Close()
	if h, why := m.Health(); h != starting || why != "not started yet" {
		t.Errorf("before the start: %s (%s)", h, why)
	}
	m.Started()
	time.Sleep(150 * time.Millisecond) // failures within the start period
	if h, why := m.Health(); h != starting || why != "GET /health: 503" {
		t.Errorf("in the start period: %s (%s)", h, why)
	}
	code.Store(200)
	waitHealth(t, m, healthy)
	code.Store(500)
	waitHealth(t, m, unhealthy) // once healthy, failures count despite the start period
	code.Store(200)
	waitHealth(t, m, healthy)
	m.Ended("exit status 2; restarting in 1s", false)
	time.Sleep(100 * time.Millisecond) // the ended run's checks must not change it
	if h, why := m.Health(); h != unhealthy || why != "exit status 2; restarting in 1s" {
		t.Errorf("after the end: %s (%s)", h, why)
	}
	var seq []string
	for _, e := range rec.Named("service-health") {
		seq = append(seq, e["previous"].(string)+">"+e["health"].(string))
		if e["service"] != "web" {
			t.Errorf("event %v", e)
		}
	}
	if got := strings.Join(seq, " "); got != "starting>healthy healthy>unhealthy unhealthy>healthy healthy>unhealthy" {
		t.Errorf("health events: %s", got)
	}
	if ev := rec.Named("service-health")[1]; ev["reason"] != "GET /health: 500" {
		t.Errorf("unhealthy event = %v", ev)
	}
	if changes.Load() < 4 {
		t.Errorf("OnChange called %d times", changes.Load())
	}
	rec.Check(t)
}

func TestMonitorWithoutCheck(t *testing.T) {
	rec := &eventtest.Recorder{}
	m := New(Options{Service: "job", Events: rec, MinUp: 50 * time.Millisecond})
	m.Waiting("waiting for db (starting)")
	if h, why := m.Health(); h != starting || why != "waiting for db (starting)" {
		t.Errorf("waiting: %s (%s)", h, why)
	}
	m.Started()
	if h, _ := m.Health(); h != starting {
		t.Errorf("just started: %s", h)
	}
	waitHealth(t, m, healthy)
	m.Ended("exit status 0; not restarted (restart: never)", true)
	if h, _ := m.Health(); h != healthy {
		t.Errorf("done: %s", h)
	}
	m.Started()
	m.Close()
	time.Sleep(100 * time.Millisecond)
	if h, _ := m.Health(); h != starting {
		t.Errorf("closed monitor changed: %s", h)
	}
	if n := len(rec.Named("service-health")); n != 2 { // starting>healthy, healthy>starting
		t.Errorf("%d events: %v", n, rec.All())
	}
	rec.Check(t)
}

func waitHealth(t *testing.T, m *Monitor, want servicestate.Health) {
	t.Helper()
	testdisk.Eventually(t, "health "+string(want), 5*time.Second, func() bool {
		h, _ := m.Health()
		return h == want
	})
}
