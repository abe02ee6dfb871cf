package updatechannel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
)

const testETag = `"bundle-v1"`

var testModTime = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// testData returns n bytes that differ from offset to offset, so that a
// resume from a wrong offset gives a wrong digest.
func testData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// seen is what the server saw of one request.
type seen struct {
	Range, IfRange string
	At             time.Time
}

// bundleServer serves data as a static file server does (Range, If-Range,
// ETag, Last-Modified), unless respond handles request i (from 0).
type bundleServer struct {
	data    []byte
	respond func(i int, w http.ResponseWriter, r *http.Request) bool

	mu   sync.Mutex
	reqs []seen
}

func (s *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, seen{r.Header.Get("Range"), r.Header.Get("If-Range"), time.Now()})
	s.mu.Unlock()
	if s.respond != nil && s.respond(i, w, r) {
		return
	}
	w.Header().Set("ETag", testETag)
	http.ServeContent(w, r, "bundle.plinth", testModTime, bytes.NewReader(s.data))
}

func (s *bundleServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// ranges returns the Range header of every request.
func (s *bundleServer) ranges() []string {
	var r []string
	for _, q := range s.requests() {
		r = append(r, q.Range)
	}
	return r
}

// start serves s on 127.0.0.1 and returns a channel for its data.
func (s *bundleServer) start(t *testing.T) (*httptest.Server, Channel) {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s.channel(ts.URL)
}

func (s *bundleServer) channel(base string) Channel {
	return Channel{Product: "Acme DB", Version: "v1.4.2", URL: base + "/acme-db-v1.4.2.plinth",
		Size: int64(len(s.data)), SHA256: digestOf(s.data)}
}

// cut sends a 200 for all of data, with an ETag, but only its first n
// bytes, then drops the connection.
func cut(w http.ResponseWriter, data []byte, n int) {
	w.Header().Set("ETag", testETag)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data[:n])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

// hang sends a 200 for all of data with its first n bytes, then waits
// until the client goes away.
func hang(w http.ResponseWriter, r *http.Request, data []byte, n int) {
	w.Header().Set("ETag", testETag)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data[:n])
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

// fast are Options with retries in milliseconds rather than seconds.
func fast() Options {
	return Options{
		Backoff:          backoff.Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond},
		StallTimeout:     5 * time.Second,
		ProgressInterval: time.Nanosecond,
	}
}

// reports collects Progress reports.
type reports struct {
	mu   sync.Mutex
	list []Progress
}

func (r *reports) add(p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, p)
}

func (r *reports) retries() []Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Progress
	for _, p := range r.list {
		if p.Retry != nil {
			out = append(out, p)
		}
	}
	return out
}

func (r *reports) last() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.list) == 0 {
		return Progress{}
	}
	return r.list[len(r.list)-1]
}

func dstIn(t *testing.T) string {
	return filepath.Join(t.TempDir(), "update.plinth")
}

// checkDone fails unless dst holds want and nothing else is left beside it.
func checkDone(t *testing.T, dst string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes, digest %s; want %d bytes, digest %s", dst, len(got), digestOf(got), len(want), digestOf(want))
	}
	for _, suffix := range []string{PartSuffix, MetaSuffix, RejectedSuffix} {
		if _, err := os.Stat(dst + suffix); err == nil {
			t.Errorf("%s%s left behind", dst, suffix)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writePart makes dst's .part and .part.meta as a Download interrupted
// after len(content) bytes of ch's bundle would have left them.
func writePart(t *testing.T, dst string, ch Channel, content []byte) {
	t.Helper()
	if err := os.WriteFile(dst+PartSuffix, content, 0o600); err != nil {
		t.Fatal(err)
	}
	meta := `{"url":"` + ch.URL + `","size":` + strconv.FormatInt(ch.Size, 10) + `,"sha256":"` + ch.SHA256 +
		`","etag":` + strconv.Quote(testETag) + `}`
	if err := os.WriteFile(dst+MetaSuffix, []byte(meta), 0o600); err != nil {
		t.Fatal(err)
	}
}
