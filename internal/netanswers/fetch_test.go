package netanswers

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/httpretry"
	"github.com/plinth-os/plinth/internal/updatechannel"
)

const goodAnswers = "disk: largest\nwipe: true\n"

var testID = Identity{
	UUID: "4c4c4544-0042-3610-8058-b4c04f564e32",
	NICs: []NIC{{Name: "enp1s0", MAC: "52-54-00-12-34-56"}, {Name: "enp2s0", MAC: "52-54-00-ab-cd-ef"}},
}

// fastBackoff keeps the tests short: 10 ms doubling to 40 ms.
var fastBackoff = backoff.Policy{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond}

// requests records what a test server was asked.
type requests struct {
	mu    sync.Mutex
	paths []string
	times []time.Time
	hdr   []http.Header
}

func (r *requests) add(req *http.Request) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths = append(r.paths, req.URL.Path)
	r.times = append(r.times, time.Now())
	r.hdr = append(r.hdr, req.Header.Clone())
	return len(r.paths)
}

func (r *requests) list() ([]string, []time.Time, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.paths), slices.Clone(r.times), slices.Clone(r.hdr)
}

// serve starts a server on 127.0.0.1 that answers request n (from 1)
// with respond.
func serve(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *requests) {
	t.Helper()
	rec := &requests{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(rec.add(r), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// messages collects what Fetch tells Options.Waiting.
type messages struct {
	mu   sync.Mutex
	msgs []string
}

func (m *messages) add(s string) { m.mu.Lock(); m.msgs = append(m.msgs, s); m.mu.Unlock() }
func (m *messages) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.msgs)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFetchNotFoundThenFound(t *testing.T) {
	srv, rec := serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(goodAnswers))
	})
	u := srv.URL + "/a/" + testID.UUID + ".yaml"
	var msgs messages
	f, err := Fetch(testCtx(t), srv.Client(), []string{u}, Options{Identity: testID, Backoff: fastBackoff, Waiting: msgs.add})
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Answers; string(f.Body) != goodAnswers || f.URL != u || a.Disk.Kind != answers.SelectLargest || !a.Wipe {
		t.Errorf("Fetch = %q from %s, %+v", f.Body, f.URL, a)
	}
	got := msgs.list()
	want := "no answers for this machine (uuid 4c4c4544-0042-3610-8058-b4c04f564e32, mac 52-54-00-12-34-56 or 52-54-00-ab-cd-ef) at " + u + "; retrying in "
	if len(got) != 2 || !strings.HasPrefix(got[0], want) || !strings.HasPrefix(got[1], want) {
		t.Errorf("Waiting got %q, want 2 messages starting %q", got, want)
	}
	_, _, hdrs := rec.list()
	if h := hdrs[0].Get(MachineHeader); h != testID.UUID {
		t.Errorf("%s = %q, want %q", MachineHeader, h, testID.UUID)
	}
}

func TestFetchRetriesServerErrors(t *testing.T) {
	statuses := []int{http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusTooManyRequests, http.StatusRequestTimeout, http.StatusGone}
	srv, _ := serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= len(statuses) {
			w.Header().Set("Retry-After", "1") // capped at Backoff.Max: the test stays fast
			w.WriteHeader(statuses[n-1])
			return
		}
		w.Write([]byte(goodAnswers))
	})
	var msgs messages
	start := time.Now()
	f, err := Fetch(testCtx(t), srv.Client(), []string{srv.URL + "/x"}, Options{Backoff: fastBackoff, Waiting: msgs.add})
	if err != nil || f.Answers == nil {
		t.Fatalf("Fetch: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v: Retry-After not capped at Backoff.Max", d)
	}
	got := msgs.list()
	if len(got) != len(statuses) || !strings.Contains(got[0], srv.URL+"/x: server answered 503 Service Unavailable; retrying in") ||
		!strings.Contains(got[4], "no answers for this machine at "+srv.URL+"/x") {
		t.Errorf("Waiting got %q", got)
	}
}

func TestFetchFinal(t *testing.T) {
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter)
		opts    Options
		check   func(t *testing.T, err error)
	}{
		{name: "malformed answers", respond: func(w http.ResponseWriter) { w.Write([]byte("disk: largest\nwipe: yes\n")) },
			check: func(t *testing.T, err error) {
				var pe *answers.ParseError
				if !errors.As(err, &pe) || pe.Line != 2 || pe.Field != "wipe" {
					t.Errorf("err = %v, want a ParseError at line 2, field wipe", err)
				}
			}},
		{name: "empty body", respond: func(w http.ResponseWriter) {},
			check: func(t *testing.T, err error) {
				var pe *answers.ParseError
				if !errors.As(err, &pe) || pe.Field != "disk" {
					t.Errorf("err = %v, want a ParseError about disk", err)
				}
			}},
		{name: "403", respond: func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) },
			check: func(t *testing.T, err error) {
				var se *httpretry.StatusError
				if !errors.As(err, &se) || se.StatusCode != 403 || !strings.Contains(err.Error(), "403 Forbidden") {
					t.Errorf("err = %v, want a StatusError 403", err)
				}
			}},
		{name: "401", respond: func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) },
			check: func(t *testing.T, err error) {
				var se *httpretry.StatusError
				if !errors.As(err, &se) || se.StatusCode != 401 {
					t.Errorf("err = %v, want a StatusError 401", err)
				}
			}},
		{name: "too large", respond: func(w http.ResponseWriter) { w.Write([]byte(goodAnswers + strings.Repeat("# pad\n", 20))) },
			opts: Options{MaxSize: 64},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "larger than 64 bytes") {
					t.Errorf("err = %v, want a size error", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := serve(t, func(n int, w http.ResponseWriter, r *http.Request) { tt.respond(w) })
			u := srv.URL + "/answers.yaml"
			opts := tt.opts
			opts.Backoff = fastBackoff
			opts.Waiting = func(msg string) { t.Errorf("Waiting(%q) for a final error", msg) }
			f, err := Fetch(testCtx(t), srv.Client(), []string{u, srv.URL + "/never"}, opts)
			if err == nil {
				t.Fatalf("Fetch = %+v, want an error", f)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.URL != u || !strings.Contains(err.Error(), u) {
				t.Errorf("err = %v, want an *Error naming %s", err, u)
			}
			if paths, _, _ := rec.list(); len(paths) != 1 {
				t.Errorf("requests %q: a final error must end Fetch at once", paths)
			}
			tt.check(t, err)
		})
	}
}

func TestFetchTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(goodAnswers))
	}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	trusting, err := updatechannel.NewClient(ca)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Fetch(testCtx(t), trusting, []string{srv.URL + "/a.yaml"}, Options{Backoff: fastBackoff}); err != nil || f.Answers == nil {
		t.Fatalf("with the test CA: %v", err)
	}

	untrusting, err := updatechannel.NewClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Fetch(testCtx(t), untrusting, []string{srv.URL + "/a.yaml"}, Options{Backoff: fastBackoff,
		Waiting: func(msg string) { t.Errorf("Waiting(%q): an untrusted certificate is final", msg) }})
	var fe *Error
	if !errors.As(err, &fe) || !httpretry.Untrusted(err) {
		t.Errorf("without the CA: err = %v, want a final certificate error", err)
	}
}

func TestFetchRefusesDowngrade(t *testing.T) {
	plain, _ := serve(t, func(n int, w http.ResponseWriter, r *http.Request) { w.Write([]byte(goodAnswers)) })
	srv := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/a.yaml", http.StatusFound))
	t.Cleanup(srv.Close)
	client, err := updatechannel.NewClient(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Fetch(testCtx(t), client, []string{srv.URL + "/a.yaml"}, Options{Backoff: fastBackoff,
		Waiting: func(msg string) { t.Errorf("Waiting(%q): a refused redirect is final", msg) }})
	var fe *Error
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "https to http") {
		t.Errorf("err = %v, want a final refused redirect", err)
	}
}

func TestFetchCancel(t *testing.T) {
	srv, _ := serve(t, func(n int, w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	_, err := Fetch(ctx, srv.Client(), []string{srv.URL + "/a"}, Options{
		Backoff: backoff.Policy{Initial: time.Hour}, // only the cancel ends this wait
		Waiting: func(string) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Fetch returned %v after the cancel", d)
	}
}

func TestFetchMaxWaitAndNetworkErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String() + "/a.yaml"
	l.Close() // nothing listens there now: connection refused
	var msgs messages
	start := time.Now()
	_, err = Fetch(testCtx(t), http.DefaultClient, []string{down}, Options{Backoff: fastBackoff, MaxWait: 150 * time.Millisecond, Waiting: msgs.add})
	if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), down) {
		t.Errorf("err = %v, want ErrGaveUp naming %s", err, down)
	}
	if d := time.Since(start); d > 150*time.Millisecond+2*time.Second {
		t.Errorf("gave up after %v, MaxWait is 150ms", d)
	}
	if got := msgs.list(); len(got) < 2 || !strings.Contains(got[0], down+": ") {
		t.Errorf("Waiting got %q: a refused connection must be retried", got)
	}
}

func TestFetchMACOrder(t *testing.T) {
	tests := []struct {
		name      string
		have      []string // MACs the server has answers for
		wantPaths []string
		wantWaits int
	}{
		{name: "first NIC has answers", have: []string{"52-54-00-12-34-56", "52-54-00-ab-cd-ef"},
			wantPaths: []string{"/m/52-54-00-12-34-56"}},
		{name: "second NIC has answers", have: []string{"52-54-00-ab-cd-ef"},
			wantPaths: []string{"/m/52-54-00-12-34-56", "/m/52-54-00-ab-cd-ef"}},
		{name: "one round of neither, then the first", have: nil,
			wantPaths: []string{"/m/52-54-00-12-34-56", "/m/52-54-00-ab-cd-ef", "/m/52-54-00-12-34-56"}, wantWaits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
				mac := strings.TrimPrefix(r.URL.Path, "/m/")
				if slices.Contains(tt.have, mac) || n > 2 {
					w.Write([]byte("disk: serial:" + mac + "\n"))
					return
				}
				http.NotFound(w, r)
			})
			urls, err := Expand(srv.URL+"/m/${mac}", testID)
			if err != nil {
				t.Fatal(err)
			}
			var msgs messages
			f, err := Fetch(testCtx(t), srv.Client(), urls, Options{Identity: testID, Backoff: fastBackoff, Waiting: msgs.add})
			if err != nil {
				t.Fatal(err)
			}
			a := f.Answers
			paths, _, _ := rec.list()
			last := strings.TrimPrefix(paths[len(paths)-1], "/m/")
			if !slices.Equal(paths, tt.wantPaths) || a.Disk.Value != last || len(msgs.list()) != tt.wantWaits {
				t.Errorf("requests %q, disk %v, waits %q; want requests %q, %d waits", paths, a.Disk, msgs.list(), tt.wantPaths, tt.wantWaits)
			}
			if tt.wantWaits > 0 && !strings.Contains(msgs.list()[0], " at "+urls[0]+" or "+urls[1]+"; retrying") {
				t.Errorf("message %q does not name both URLs", msgs.list()[0])
			}
		})
	}
}

// TestFetchBackoffTiming checks the schedule with delays scaled down:
// each wait is the jittered backoff delay, between half of it and all of
// it, doubling up to the cap.
func TestFetchBackoffTiming(t *testing.T) {
	const misses = 5
	srv, rec := serve(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= misses {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(goodAnswers))
	})
	p := backoff.Policy{Initial: 20 * time.Millisecond, Max: 80 * time.Millisecond}
	start := time.Now()
	if _, err := Fetch(testCtx(t), srv.Client(), []string{srv.URL + "/a"}, Options{Backoff: p}); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	_, times, _ := rec.list()
	if len(times) != misses+1 {
		t.Fatalf("%d requests, want %d", len(times), misses+1)
	}
	var sum time.Duration
	for i := 1; i < len(times); i++ {
		gap, d := times[i].Sub(times[i-1]), p.Delay(i-1)
		if gap < d/2 {
			t.Errorf("wait %d was %v, want at least %v (half of %v)", i, gap, d/2, d)
		}
		sum += d
	}
	// 20+40+80+80+80 ms at most, plus the requests: far below the
	// default schedule's 1 s, 2 s, ...
	if elapsed > sum+time.Second {
		t.Errorf("took %v, want about %v at most", elapsed, sum)
	}
}

func TestHuman(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{1234567 * time.Microsecond, "1.2s"}, {32*time.Second + 400*time.Millisecond, "32s"},
		{time.Minute, "1m0s"}, {15 * time.Millisecond, "15ms"},
	}
	for _, tt := range tests {
		if got := human(tt.d); got != tt.want {
			t.Errorf("human(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
