package updatechannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/fielderr"
)

// Defaults of Options.
const (
	DefaultMaxAttempts      = 10
	DefaultStallTimeout     = 60 * time.Second
	DefaultProgressInterval = time.Second
)

// DefaultBackoff spaces retries when Options.Backoff is zero: 1 s, then
// doubling up to 5 minutes.
var DefaultBackoff = backoff.Policy{Initial: time.Second, Max: 5 * time.Minute}

// Options tune Download. The zero value is good for an appliance.
type Options struct {
	// MaxAttempts is how many requests in a row may fail without
	// receiving a byte of the bundle before Download gives up; 0 means
	// DefaultMaxAttempts. A request that received some of the bundle
	// starts the count again: a slow, flaky link still gets there.
	MaxAttempts int
	// MaxTime, if not 0, is how long after Download was called a retry
	// may still start. It does not cut a transfer that is under way: use
	// ctx for a hard limit.
	MaxTime time.Duration
	// Backoff spaces retries (zero: DefaultBackoff). Each delay is
	// jittered, a random time between half of it and all of it, so that
	// a fleet of appliances does not come back all at once. A server's
	// Retry-After, if longer, is honoured instead.
	Backoff backoff.Policy
	// StallTimeout: a request that receives nothing for this long is
	// abandoned and retried; 0 means DefaultStallTimeout.
	StallTimeout time.Duration
	// ProgressInterval is the least time between two progress reports
	// while bytes arrive; 0 means DefaultProgressInterval.
	ProgressInterval time.Duration
	// Progress, if not nil, is called from Download's goroutine: as bytes
	// arrive (at most every ProgressInterval), once more when the last
	// byte is in, and before every retry (Retry set).
	Progress func(Progress)
}

// Progress is a report of Download.
type Progress struct {
	Done  int64   // bytes of the bundle in the .part
	Total int64   // the bundle's size
	Rate  float64 // bytes per second since the previous report
	// Attempt is the number of the request, 1 for the first.
	Attempt int
	// Retry, if not nil, is why request Attempt failed; the next starts
	// after Wait.
	Retry error
	Wait  time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff == (backoff.Policy{}) {
		o.Backoff = DefaultBackoff
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	return o
}

// Download downloads ch's bundle to dst (see the package documentation
// for the files it keeps beside dst). It returns nil once dst holds the
// bundle, at once if it already did. Only one Download may work on a dst
// at a time. A nil client means NewClient(nil).
//
// What is retried: network errors, stalls, 5xx, 408 and 429, with
// backoff, as Options bound; a server that ignores a Range request (200)
// or whose file changed since the .part was started (If-Range) sends
// the whole bundle again, from the start. What is final: other 4xx (a
// *StatusError), a server file of another size (ErrSize), a refused
// certificate or an https-to-http redirect, and a wrong SHA-256
// (ErrDigest). A wrong SHA-256 deletes the .part and records ch in
// dst+".rejected", and Download refuses that same channel from then on
// (ErrRejected): a tampered mirror is not downloaded again at every
// check. Only when the .part was assembled from more than one response
// (resumed, perhaps after a power loss) is the bundle first downloaded
// once more in one piece, as damage is then a likelier cause.
//
// When ctx is cancelled Download returns ctx's error and keeps the .part
// for a later Download to resume.
func Download(ctx context.Context, client *http.Client, ch Channel, dst string, opts Options) error {
	if field, msg := ch.problem(nil); field != "" {
		return fmt.Errorf("updatechannel: download: %w", &fielderr.Error{File: "channel", Field: field, Message: msg})
	}
	if _, err := httpURL(ch.URL); err != nil {
		return fmt.Errorf("updatechannel: download: bundle URL %q: %w (Parse or Check makes it absolute)", ch.URL, err)
	}
	client, err := orDefault(client)
	if err != nil {
		return err
	}
	if sum, ok, err := fileDigest(dst, ch.Size); err != nil || (ok && sum == ch.SHA256) {
		return err
	}
	if err := checkRejected(dst, ch); err != nil {
		return err
	}
	p, err := openPart(dst, ch)
	if err != nil {
		return err
	}
	defer p.release()
	d := &downloader{client: client, ch: ch, opts: opts.withDefaults(), part: p,
		best: p.n, lastReport: time.Now(), lastDone: p.n}
	return d.run(ctx)
}

// downloader is one Download under way.
type downloader struct {
	client  *http.Client
	ch      Channel
	opts    Options
	part    *part
	attempt int
	// retriedDigest: a resumed .part with a wrong digest was already
	// downloaded again in one piece.
	retriedDigest bool
	// best is the most of the bundle the .part has held; progressed says
	// whether the current request took it further.
	best       int64
	progressed bool
	lastReport time.Time
	lastDone   int64
}

// retryError is a failed request worth trying again.
type retryError struct {
	err   error
	after time.Duration // the server's Retry-After, 0 if none
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

func retry(err error) error { return &retryError{err: err} }

// run makes requests until the bundle is in or an error is final.
func (d *downloader) run(ctx context.Context) error {
	start := time.Now()
	failures := 0 // requests in a row that received nothing
	for d.attempt = 1; ; d.attempt++ {
		d.progressed = false
		err := d.try(ctx)
		var r *retryError
		if !errors.As(err, &r) {
			return err
		}
		failures++
		if d.progressed {
			// Count again, but only for new bytes: a server that cuts
			// every response at the same place makes no progress.
			failures = 0
		}
		if failures >= d.opts.MaxAttempts {
			return fmt.Errorf("updatechannel: giving up after %d attempts: %w", d.attempt, r.err)
		}
		wait := max(backoff.Jitter(d.opts.Backoff.Delay(failures-1)), r.after)
		if d.opts.MaxTime > 0 && time.Since(start)+wait > d.opts.MaxTime {
			return fmt.Errorf("updatechannel: giving up after %d attempts, no time left for another within %v: %w", d.attempt, d.opts.MaxTime, r.err)
		}
		d.report(Progress{Retry: r.err, Wait: wait})
		if err := backoff.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("updatechannel: download %s: %w", d.ch.URL, err)
		}
	}
}

// report calls the Progress callback with p's counters filled in.
func (d *downloader) report(p Progress) {
	now := time.Now()
	if d.opts.Progress == nil {
		return
	}
	p.Done, p.Total, p.Attempt = d.part.n, d.ch.Size, d.attempt
	if dt := now.Sub(d.lastReport).Seconds(); !d.lastReport.IsZero() && dt > 0 && d.part.n >= d.lastDone {
		p.Rate = float64(d.part.n-d.lastDone) / dt
	}
	d.lastReport, d.lastDone = now, d.part.n
	d.opts.Progress(p)
}

// reportDue reports if ProgressInterval has passed since the last report.
func (d *downloader) reportDue() {
	if time.Since(d.lastReport) >= d.opts.ProgressInterval {
		d.report(Progress{})
	}
}
