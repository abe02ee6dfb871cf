package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/httpretry"
	"github.com/plinth-os/plinth/internal/logbundle"
)

const machine = "4c4c4544-0042-3610-8058-b4c04f564e32"

// fast keeps retries short in tests.
func fast(o Options) Options {
	o.Backoff = backoff.Policy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	o.Machine = machine
	return o
}

// post is a request the test server accepted.
type post struct {
	contentType, machine string
	seq                  int // X-Plinth-Sequence; 0 if absent
	body                 []byte
}

// server records accepted requests; status decides each answer (0: 204).
type server struct {
	*httptest.Server
	mu       sync.Mutex
	posts    []post
	attempts atomic.Int64
}

func newServer(t *testing.T, status func(n int64, r *http.Request) int) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.attempts.Add(1)
		body, _ := io.ReadAll(r.Body)
		if c := status(n, r); c != 0 {
			w.WriteHeader(c)
			return
		}
		seq, _ := strconv.Atoi(r.Header.Get(SequenceHeader))
		s.mu.Lock()
		s.posts = append(s.posts, post{r.Header.Get("Content-Type"), r.Header.Get(MachineHeader), seq, body})
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) accepted() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

// logs collects Options.Log notes.
type logs struct {
	mu    sync.Mutex
	notes []string
}

func (l *logs) add(s string) { l.mu.Lock(); l.notes = append(l.notes, s); l.mu.Unlock() }
func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.notes, "\n")
}

func newReporterT(t *testing.T, url string, o Options) *Reporter {
	t.Helper()
	r, err := New(http.DefaultClient, url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// emitSteps emits e2e-step events with Index from..to-1 through an
// event.Emitter writing to r: event number i+1 has Index i.
func emitSteps(t *testing.T, r *Reporter, from, to int) {
	t.Helper()
	em := event.New(r)
	for i := from; i < to; i++ {
		if err := em.Emit(event.E2EStep{Index: i, Argv: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// received walks the event bodies as a server would: it checks each
// body's sequence number against the events and the dropped notes
// before it, and returns the events' Index values and the dropped total.
func received(t *testing.T, posts []post) (indices []int, dropped int) {
	t.Helper()
	next := 1
	for _, p := range posts {
		if p.contentType != ContentTypeEvents || p.machine != machine {
			t.Errorf("Content-Type %q, %s %q", p.contentType, MachineHeader, p.machine)
		}
		lines := strings.Split(strings.TrimSuffix(string(p.body), "\n"), "\n")
		var note struct {
			Event   string `json:"event"`
			Dropped int    `json:"dropped"`
		}
		if json.Unmarshal([]byte(lines[0]), &note) == nil && note.Event == DroppedEvent {
			next += note.Dropped
			dropped += note.Dropped
			lines = lines[1:]
		}
		if p.seq != next {
			t.Errorf("%s %d, want %d", SequenceHeader, p.seq, next)
		}
		for _, l := range lines {
			if err := event.Validate(event.Prefix + l); err != nil {
				t.Errorf("line %q: %v", l, err)
			}
			var st event.E2EStep
			if err := json.Unmarshal([]byte(l), &st); err != nil {
				t.Fatal(err)
			}
			if st.Index != next-1 {
				t.Errorf("event %d has Index %d", next, st.Index)
			}
			indices = append(indices, st.Index)
			next++
		}
	}
	return indices, dropped
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func closeWithin(t *testing.T, r *Reporter, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return r.Close(ctx)
}

func TestOrderKept(t *testing.T) {
	srv := newServer(t, func(int64, *http.Request) int { return 0 })
	r := newReporterT(t, srv.URL+"/report/"+machine, fast(Options{BatchSize: 7}))
	emitSteps(t, r, 0, 200)
	if err := closeWithin(t, r, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	posts := srv.accepted()
	got, dropped := received(t, posts)
	if !slices.Equal(got, seq(0, 200)) || dropped != 0 {
		t.Errorf("received %v (dropped %d), want 0..199 in order", got, dropped)
	}
	for _, p := range posts {
		if n := bytes.Count(p.body, []byte{'\n'}); n > 7 {
			t.Errorf("a body of %d events, BatchSize is 7", n)
		}
	}
}

func TestServerDownThenUp(t *testing.T) {
	var seqs sync.Map // X-Plinth-Sequence of each attempt, to see retries resend the same body
	srv := newServer(t, func(n int64, r *http.Request) int {
		seqs.Store(n, r.Header.Get(SequenceHeader))
		if n <= 4 {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	var notes logs
	r := newReporterT(t, srv.URL, fast(Options{Log: notes.add}))
	emitSteps(t, r, 0, 20)
	if err := closeWithin(t, r, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	got, dropped := received(t, srv.accepted())
	if !slices.Equal(got, seq(0, 20)) || dropped != 0 {
		t.Errorf("received %v (dropped %d), want 0..19", got, dropped)
	}
	first, _ := seqs.Load(int64(1))
	fifth, _ := seqs.Load(int64(5))
	if first != "1" || fifth != "1" {
		t.Errorf("attempts 1 and 5 carried sequence %v and %v, want 1 both: a retry resends the same body", first, fifth)
	}
	if n := srv.attempts.Load(); n < 5 {
		t.Errorf("%d requests, want the 4 refused and more", n)
	}
}

func TestServerAlwaysDown(t *testing.T) {
	tests := []struct {
		name string
		hang bool // the server accepts the connection and never answers
	}{
		{name: "503"},
		{name: "hangs", hang: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(_ int64, req *http.Request) int {
				if tt.hang {
					<-req.Context().Done()
				}
				return http.StatusServiceUnavailable
			})
			var notes logs
			const bufSize, batchSize = 100, 10
			r := newReporterT(t, srv.URL, fast(Options{BufferSize: bufSize, BatchSize: batchSize, Log: notes.add}))
			start := time.Now()
			emitSteps(t, r, 0, 10000)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("10000 events took %v to emit: Emit must not wait for the network", d)
			}
			left := r.Queued()
			if left > bufSize+batchSize {
				t.Errorf("%d events held, more than the buffer of %d and a batch of %d", left, bufSize, batchSize)
			}
			const deadline = 300 * time.Millisecond
			start = time.Now()
			err := closeWithin(t, r, deadline)
			if d := time.Since(start); d > deadline+time.Second {
				t.Errorf("Close took %v, deadline %v", d, deadline)
			}
			want := "gave up on " + strconv.Itoa(left) + " events"
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(notes.all(), want) {
				t.Errorf("Close = %v, log %q; want both to say %q", err, notes.all(), want)
			}
		})
	}
}

func TestDroppedNote(t *testing.T) {
	var up atomic.Bool
	srv := newServer(t, func(int64, *http.Request) int {
		if !up.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	var notes logs
	r := newReporterT(t, srv.URL, fast(Options{BufferSize: 10, BatchSize: 5, Log: notes.add}))
	emitSteps(t, r, 0, 30)
	up.Store(true)
	emitSteps(t, r, 30, 32)
	if err := closeWithin(t, r, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	got, dropped := received(t, srv.accepted())
	// While the server was down, at most a batch of 5 was in flight and
	// 10 were buffered: at least 15 of the first 30 were dropped. The
	// last 10 always arrive.
	if dropped < 15 || len(got)+dropped != 32 || len(got) < 10 || !slices.Equal(got[len(got)-10:], seq(22, 32)) {
		t.Errorf("received %v, dropped %d", got, dropped)
	}
	logged := 0
	for _, m := range regexp.MustCompile(`report: dropped (\d+) events`).FindAllStringSubmatch(notes.all(), -1) {
		n, _ := strconv.Atoi(m[1])
		logged += n
	}
	if logged != dropped {
		t.Errorf("log %q counts %d dropped, the server was told %d", notes.all(), logged, dropped)
	}
}

func TestRefusedStopsReporting(t *testing.T) {
	srv := newServer(t, func(int64, *http.Request) int { return http.StatusForbidden })
	var notes logs
	r := newReporterT(t, srv.URL, fast(Options{BatchSize: 1, Log: notes.add}))
	emitSteps(t, r, 0, 1)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(notes.all(), "no more events are sent") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	emitSteps(t, r, 1, 50)
	if err := closeWithin(t, r, 5*time.Second); err != nil {
		t.Errorf("Close = %v, want nil: the refusal is in the log already", err)
	}
	if n := srv.attempts.Load(); n != 1 || !strings.Contains(notes.all(), "403 Forbidden") {
		t.Errorf("%d requests, log %q; want 1 and a note naming the 403", n, notes.all())
	}
}

func TestBundle(t *testing.T) {
	var buf bytes.Buffer
	if err := logbundle.Build(&buf, []logbundle.File{{Name: "installer.log", Data: []byte("disk: sda\n")}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	tests := []struct {
		name    string
		status  func(n int64, r *http.Request) int
		wantErr string
	}{
		{name: "accepted", status: func(int64, *http.Request) int { return 0 }},
		{name: "bundle retried", status: func(n int64, r *http.Request) int {
			if r.Header.Get("Content-Type") == ContentTypeBundle && n < 4 {
				return http.StatusBadGateway
			}
			return 0
		}},
		{name: "too large", status: func(n int64, r *http.Request) int {
			if r.Header.Get("Content-Type") == ContentTypeBundle {
				return http.StatusRequestEntityTooLarge
			}
			return 0
		}, wantErr: "413"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.status)
			r := newReporterT(t, srv.URL, fast(Options{}))
			emitSteps(t, r, 0, 3)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := r.Bundle(ctx, data)
			if tt.wantErr != "" {
				var se *httpretry.StatusError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Bundle = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			posts := srv.accepted()
			last := posts[len(posts)-1]
			if last.contentType != ContentTypeBundle || last.machine != machine || !bytes.Equal(last.body, data) {
				t.Errorf("last request: %q %q, %d bytes; want the bundle", last.contentType, last.machine, len(last.body))
			}
			if got, _ := received(t, posts[:len(posts)-1]); !slices.Equal(got, seq(0, 3)) {
				t.Errorf("before the bundle: events %v, want 0..2", got)
			}
		})
	}
}

func TestBundleGivesUpAtDeadline(t *testing.T) {
	srv := newServer(t, func(int64, *http.Request) int { return http.StatusServiceUnavailable })
	r := newReporterT(t, srv.URL, fast(Options{}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := r.Bundle(ctx, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Bundle = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Bundle took %v", d)
	}
}

func TestWrite(t *testing.T) {
	r := newReporter(http.DefaultClient, "http://127.0.0.1:1/", Options{})
	writes := []string{
		"booting\n@plinth {\"event\":\"ready\",\"a\":1}\n",
		"@plinth {\"event\":\"plan\"",
		",\"b\":2}\nnoise @plinth {\"event\":\"progress\"}\n@plinth not json\n@plinth [1,2]\n",
		"@plinth {\"event\":\"installed\"}\n@plinth {\"event\":\"unfinished\"",
	}
	for _, w := range writes {
		if n, err := r.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	var got []string
	for _, l := range r.queue {
		got = append(got, string(l))
	}
	want := []string{`{"event":"ready","a":1}`, `{"event":"plan","b":2}`, `{"event":"progress"}`, `{"event":"installed"}`}
	if !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
}

func TestNewRejects(t *testing.T) {
	for _, u := range []string{"", "ftp://x/", "/report", "http:///x"} {
		if _, err := New(http.DefaultClient, u, Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
