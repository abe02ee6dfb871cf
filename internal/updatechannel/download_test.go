package updatechannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDownloadResumesAfterCut(t *testing.T) {
	data := testData(1 << 20)
	const at = 300_000
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			cut(w, data, at)
		}
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	var rep reports
	opts := fast()
	opts.Progress = rep.add
	if err := Download(context.Background(), nil, ch, dst, opts); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	reqs := s.requests()
	want := []seen{{"", "", time.Time{}}, {fmt.Sprintf("bytes=%d-", at), testETag, time.Time{}}}
	if len(reqs) != len(want) {
		t.Fatalf("requests %+v, want %+v", reqs, want)
	}
	for i := range want {
		if reqs[i].Range != want[i].Range || reqs[i].IfRange != want[i].IfRange {
			t.Errorf("request %d: Range %q If-Range %q, want %q %q", i, reqs[i].Range, reqs[i].IfRange, want[i].Range, want[i].IfRange)
		}
	}
	if r := rep.retries(); len(r) != 1 || r[0].Attempt != 1 || r[0].Done != at {
		t.Errorf("retry reports %+v, want one after attempt 1 at byte %d", r, at)
	}
	if last := rep.last(); last.Done != last.Total || last.Total != int64(len(data)) || last.Attempt != 2 {
		t.Errorf("last report %+v, want done = total = %d at attempt 2", last, len(data))
	}
}

func TestDownloadRetriesServerErrors(t *testing.T) {
	data := testData(10_000)
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i < 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		}
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	var rep reports
	opts := fast()
	opts.Progress = rep.add
	if err := Download(context.Background(), nil, ch, dst, opts); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if n := len(s.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	r := rep.retries()
	if len(r) != 2 {
		t.Fatalf("%d retry reports, want 2", len(r))
	}
	for i, p := range r {
		var se *StatusError
		if !errors.As(p.Retry, &se) || se.StatusCode != 503 || p.Attempt != i+1 {
			t.Errorf("retry report %d: %+v, want a 503 after attempt %d", i, p, i+1)
		}
	}
}

func TestDownloadHonoursRetryAfter(t *testing.T) {
	data := testData(10_000)
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	var rep reports
	opts := fast()
	opts.Progress = rep.add
	if err := Download(context.Background(), nil, ch, dst, opts); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 950*time.Millisecond {
		t.Errorf("retried after %v, want the server's Retry-After of 1 s", gap)
	}
	if r := rep.retries(); len(r) != 1 || r[0].Wait != time.Second {
		t.Errorf("retry reports %+v, want one waiting 1 s", r)
	}
}

func TestDownloadServerIgnoresRange(t *testing.T) {
	data := testData(200_000)
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			cut(w, data, 50_000)
		}
		r.Header.Del("Range") // every answer is the whole file, 200
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if got, want := s.ranges(), []string{"", "bytes=50000-"}; !slices.Equal(got, want) {
		t.Errorf("Range headers %q, want %q", got, want)
	}
}

func TestDownloadWithoutValidatorStartsOver(t *testing.T) {
	data := testData(100_000)
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data[:40_000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		w.Write(data) // no ETag, no Last-Modified, no ranges
		return true
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if got, want := s.ranges(), []string{"", ""}; !slices.Equal(got, want) {
		t.Errorf("Range headers %q, want %q: without a validator a resume is not safe", got, want)
	}
}

func TestDownloadNotFoundIsFinal(t *testing.T) {
	s := &bundleServer{data: testData(1000), respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		http.NotFound(w, r)
		return true
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	err := Download(context.Background(), nil, ch, dst, fast())
	want := "updatechannel: 404 Not Found at " + ch.URL + ": the channel names a bundle the server does not have"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Errorf("err = %#v, want a *StatusError 404", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want 1: a 404 is final", n)
	}
	if exists(dst+PartSuffix) || exists(dst+MetaSuffix) {
		t.Errorf("empty .part or .part.meta left behind")
	}
}

func TestDownloadWrongDigestIsFinal(t *testing.T) {
	data := testData(100_000)
	s := &bundleServer{data: data}
	_, ch := s.start(t)
	ch.SHA256 = digestOf([]byte("another bundle"))
	dst := dstIn(t)
	err := Download(context.Background(), nil, ch, dst, fast())
	if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), digestOf(data)) {
		t.Fatalf("err = %v, want ErrDigest naming the digest received", err)
	}
	for _, name := range []string{dst, dst + PartSuffix, dst + MetaSuffix} {
		if exists(name) {
			t.Errorf("%s exists after a wrong digest", name)
		}
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	// The same channel again: refused without a request.
	err = Download(context.Background(), nil, ch, dst, fast())
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), dst+RejectedSuffix) {
		t.Errorf("second Download: err = %v, want ErrRejected naming the .rejected file", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests after the second Download, want still 1", n)
	}

	// A new channel (fixed digest) is downloaded.
	ch.SHA256 = digestOf(data)
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatalf("Download of the corrected channel: %v", err)
	}
}

func TestDownloadDamagedPartIsFetchedAgain(t *testing.T) {
	data := testData(100_000)
	s := &bundleServer{data: data}
	_, ch := s.start(t)
	dst := dstIn(t)
	damaged := slices.Clone(data[:30_000])
	damaged[100] ^= 0xff // as a power loss might leave it
	writePart(t, dst, ch, damaged)
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if got, want := s.ranges(), []string{"bytes=30000-", ""}; !slices.Equal(got, want) {
		t.Errorf("Range headers %q, want %q: resume, then once more from the start", got, want)
	}
}

func TestDownloadMixedResponsesFetchedAgain(t *testing.T) {
	data := testData(100_000)
	bad := slices.Clone(data)
	bad[10] ^= 0xff
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			cut(w, bad, 20_000) // a mirror that sent a damaged start
		}
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if got, want := s.ranges(), []string{"", "bytes=20000-", ""}; !slices.Equal(got, want) {
		t.Errorf("Range headers %q, want %q: cut, resume, then once more in one piece", got, want)
	}
}

func TestDownloadCompletePart(t *testing.T) {
	data := testData(100_000)
	tests := []struct {
		name   string
		part   []byte
		ranges []string
	}{
		// The server answers 416 to bytes=100000-: the digest decides.
		{"good", data, []string{"bytes=100000-"}},
		{"damaged", append(slices.Clone(data[:99_999]), 0), []string{"bytes=100000-", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &bundleServer{data: data}
			_, ch := s.start(t)
			dst := dstIn(t)
			writePart(t, dst, ch, tt.part)
			if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
				t.Fatal(err)
			}
			checkDone(t, dst, data)
			if got := s.ranges(); !slices.Equal(got, tt.ranges) {
				t.Errorf("Range headers %q, want %q", got, tt.ranges)
			}
		})
	}
}

func TestDownloadCancelKeepsPart(t *testing.T) {
	data := testData(400_000)
	const half = 200_000
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			hang(w, r, data, half)
			return true
		}
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := fast()
	opts.Progress = func(p Progress) {
		if p.Done >= half {
			cancel()
		}
	}
	err := Download(ctx, nil, ch, dst, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	fi, err := os.Stat(dst + PartSuffix)
	if err != nil || fi.Size() != half || !exists(dst+MetaSuffix) {
		t.Fatalf(".part %v %v, .part.meta %v: want %d bytes and a meta file", fi, err, exists(dst+MetaSuffix), half)
	}

	// A later Download (after a reboot, say) resumes from the .part.
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if got, want := s.ranges(), []string{"", "bytes=200000-"}; !slices.Equal(got, want) {
		t.Errorf("Range headers %q, want %q", got, want)
	}
}

func TestDownloadStallIsRetried(t *testing.T) {
	data := testData(100_000)
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 0 {
			hang(w, r, data, 10_000)
			return true
		}
		return false
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	var rep reports
	opts := fast()
	opts.StallTimeout = 200 * time.Millisecond
	opts.Progress = rep.add
	if err := Download(context.Background(), nil, ch, dst, opts); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if got, want := s.ranges(), []string{"", "bytes=10000-"}; !slices.Equal(got, want) {
		t.Errorf("Range headers %q, want %q", got, want)
	}
	if r := rep.retries(); len(r) != 1 || !strings.Contains(r[0].Retry.Error(), "nothing received") {
		t.Errorf("retry reports %+v, want one for the stall", r)
	}
}

func TestDownloadGivesUp(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		opts       func(*Options)
		requests   int
		msg        string
	}{
		{"attempts", "", func(o *Options) { o.MaxAttempts = 3 }, 3, "giving up after 3 attempts"},
		// Retry-After is 30 s: the first retry would already be too late.
		{"time", "30", func(o *Options) { o.MaxTime = time.Second }, 1, "no time left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &bundleServer{data: testData(1000), respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, "down", http.StatusServiceUnavailable)
				return true
			}}
			_, ch := s.start(t)
			opts := fast()
			tt.opts(&opts)
			start := time.Now()
			err := Download(context.Background(), nil, ch, dstIn(t), opts)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != 503 || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want a 503 and %q", err, tt.msg)
			}
			if n := len(s.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// A link that drops every response after a few bytes still gets there:
// attempts that bring new bytes do not count against MaxAttempts.
func TestDownloadProgressResetsAttempts(t *testing.T) {
	data := testData(100_000)
	const chunk = 10_000
	s := &bundleServer{data: data, respond: func(i int, w http.ResponseWriter, r *http.Request) bool {
		var start int
		fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &start)
		w.Header().Set("ETag", testETag)
		w.Header().Set("Content-Length", fmt.Sprint(len(data)-start))
		if start > 0 {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
			w.WriteHeader(http.StatusPartialContent)
		}
		end := min(start+chunk, len(data))
		w.Write(data[start:end])
		if end < len(data) {
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		return true
	}}
	_, ch := s.start(t)
	dst := dstIn(t)
	opts := fast()
	opts.MaxAttempts = 1
	if err := Download(context.Background(), nil, ch, dst, opts); err != nil {
		t.Fatal(err)
	}
	checkDone(t, dst, data)
	if n := len(s.requests()); n != 10 {
		t.Errorf("%d requests, want 10", n)
	}
}

func TestDownloadSizeMismatchIsFinal(t *testing.T) {
	data := testData(1000)
	s := &bundleServer{data: data}
	_, ch := s.start(t)
	ch.Size = 2000
	err := Download(context.Background(), nil, ch, dstIn(t), fast())
	if !errors.Is(err, ErrSize) || !strings.Contains(err.Error(), "1000 bytes, the channel says 2000") {
		t.Errorf("err = %v, want ErrSize", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestDownloadAlreadyThere(t *testing.T) {
	data := testData(1000)
	s := &bundleServer{data: data}
	_, ch := s.start(t)
	dst := dstIn(t)
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Download(context.Background(), nil, ch, dst, fast()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("%d requests, want none: dst already holds the bundle", n)
	}
	checkDone(t, dst, data)
}

func TestDownloadRelativeURLRefused(t *testing.T) {
	ch := Channel{Product: "p", Version: "1", URL: "b.plinth", Size: 1, SHA256: digestOf(nil)}
	err := Download(context.Background(), nil, ch, dstIn(t), fast())
	if err == nil || !strings.Contains(err.Error(), "Parse or Check makes it absolute") {
		t.Errorf("err = %v, want a relative URL refused", err)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 100-199/1000", 100, 1000, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes */1000", -1, 1000, true},
		{"bytes 200-100/1000", 0, 0, false},
		{"bytes 100-199", 0, 0, false},
		{"items 1-2/3", 0, 0, false},
		{"bytes x-1/2", 0, 0, false},
		{"bytes 1-2/-3", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		start, total, ok := parseContentRange(tt.in)
		if start != tt.start || total != tt.total || ok != tt.ok {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, %v", tt.in, start, total, ok, tt.start, tt.total, tt.ok)
		}
	}
}
