// Package report sends the installer's events, as they happen, to a
// report URL on the provisioning server, and the log bundle when an
// install fails, so that a fleet's installs can be followed without a
// console on every machine.
//
// Reporting must never stop or slow an install: Emit and Write return at
// once; events wait in a bounded buffer (the oldest are dropped when it
// is full, and the server is told how many); failed requests are retried
// with backoff; and Close gives up at its deadline, with a note in the
// log.
//
// # Wire format
//
// Events: every request is
//
//	POST <report URL>
//	Content-Type: application/x-ndjson
//	X-Plinth-Machine: <SMBIOS system UUID, lower case>   (absent when unknown)
//	X-Plinth-Sequence: <number of the body's first event>
//
//	{"event":"progress","step":"plan","percent":2,"seconds":0.4}
//	{"event":"progress","step":"format-esp","percent":5,"seconds":3.1}
//
// The body holds one or more events (at most Options.BatchSize), one
// JSON object per line, each line ending in "\n", oldest first. Each
// object is exactly the one that follows "@plinth " on the console
// (docs/events.md lists them). Events are numbered from 1 in the order
// they were emitted; a body holds consecutive numbers from
// X-Plinth-Sequence on, and bodies are sent one at a time, in order.
//
// When the buffer overflowed, the body starts with one more line, which
// has no number of its own:
//
//	{"event":"report-dropped","dropped":17}
//
// meaning the 17 events before this body's first were dropped: the
// previous body ended with event X-Plinth-Sequence - 18.
//
// Any 2xx status means delivered. 408, 429, 5xx and network errors are
// retried with the same body and X-Plinth-Sequence, so a server may see
// a body twice (when its answer was lost) and can tell by the number.
// Any other status, or a certificate the client does not trust, stops
// the reporting of events (with a note in the log): the install goes on.
//
// Log bundle: when an install fails, the installer sends
//
//	POST <report URL>
//	Content-Type: application/gzip
//	X-Plinth-Machine: <uuid>   (absent when unknown)
//
//	<the log bundle: a gzip-compressed tar, as internal/logbundle makes it>
//
// after the events emitted before it were delivered. The server tells a
// bundle from events by Content-Type.
//
// # Use
//
// The Reporter is an io.Writer for event.Emitter: its Write takes the
// "@plinth {...}" lines the Emitter writes and forwards their objects,
// and never fails, so it can share an io.MultiWriter with the console:
//
//	rep, err := report.New(client, reportURL, report.Options{Machine: id.UUID, Log: logf})
//	events := event.New(io.MultiWriter(rep, console, journal))
//	...
//	rep.Bundle(ctx, bundle) // on failure
//	rep.Close(ctx)          // before reboot or power off
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/event"
)

// Wire format constants (see the package documentation).
const (
	ContentTypeEvents = "application/x-ndjson"
	ContentTypeBundle = "application/gzip"
	MachineHeader     = "X-Plinth-Machine"
	SequenceHeader    = "X-Plinth-Sequence"
	// DroppedEvent is the "event" of the line that says how many events
	// were dropped. It is not a console event: only the server sees it.
	DroppedEvent = "report-dropped"
)

// Defaults of Options.
const (
	DefaultBufferSize     = 1000
	DefaultBatchSize      = 50
	DefaultRequestTimeout = 30 * time.Second
	defaultInitial        = time.Second
	defaultMax            = time.Minute
)

// Options tune a Reporter. The zero value is good for an install.
type Options struct {
	// Machine is the X-Plinth-Machine header: the SMBIOS system UUID;
	// "" leaves the header out.
	Machine string
	// BufferSize is how many events may wait (0: DefaultBufferSize).
	// When it is full, the oldest is dropped. One more batch may be in
	// flight, out of the buffer.
	BufferSize int
	// BatchSize is the most events one request carries (0:
	// DefaultBatchSize).
	BatchSize int
	// Backoff spaces retries (zero: 1 s, doubling up to 1 min), each
	// jittered between half of it and all of it.
	Backoff backoff.Policy
	// RequestTimeout bounds one request (0: DefaultRequestTimeout).
	RequestTimeout time.Duration
	// Log, if not nil, receives notes for the installer's log: events
	// dropped, reporting stopped, events given up at Close. It is called
	// from the Reporter's goroutine and from Close, never from Emit.
	Log func(msg string)
}

func (o Options) withDefaults() Options {
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Backoff == (backoff.Policy{}) {
		o.Backoff = backoff.Policy{Initial: defaultInitial, Max: defaultMax}
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	return o
}

// Reporter sends events to a report URL. Its methods are safe for
// concurrent use.
type Reporter struct {
	client *http.Client
	url    string
	opts   Options

	ctx     context.Context // ends sending: Close's deadline has passed
	cancel  context.CancelFunc
	wake    chan struct{} // events queued (buffered, 1)
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the sender returns

	writeMu sync.Mutex // orders Write calls and guards partial
	partial []byte     // the end of the last Write, not yet a line

	mu       sync.Mutex
	queue    [][]byte // events waiting, oldest first
	next     uint64   // number of the next event emitted
	dropped  int      // dropped since the last batch was taken
	inflight int      // events of the batch being sent
	sent     uint64   // every event numbered below is delivered or dropped
	progress chan struct{}
	closed   bool
	stopped  error // the server refused the events: none are sent now
	lastErr  error // of the last failed request
}

// New returns a Reporter sending to reportURL (an http or https URL, as
// netanswers.Expand gives it) with client (typically
// updatechannel.NewClient with the CAs given at build time), and starts
// its goroutine; Close ends it.
func New(client *http.Client, reportURL string, opts Options) (*Reporter, error) {
	if client == nil {
		return nil, errors.New("report: no HTTP client")
	}
	u, err := url.Parse(reportURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("report: %q is not an http:// or https:// URL", reportURL)
	}
	r := newReporter(client, reportURL, opts)
	go r.run()
	return r, nil
}

// newReporter returns a Reporter whose goroutine is not started.
func newReporter(client *http.Client, reportURL string, opts Options) *Reporter {
	ctx, cancel := context.WithCancel(context.Background())
	return &Reporter{
		client: client, url: reportURL, opts: opts.withDefaults(),
		ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{}),
		next: 1, sent: 1, progress: make(chan struct{}),
	}
}

// Write takes "@plinth {...}\n" lines, as event.Emitter writes them, and
// emits the JSON object of each. Text outside such lines is ignored, so
// that the Reporter can sit beside a console in an io.MultiWriter. It
// never fails and never blocks on the network.
func (r *Reporter) Write(p []byte) (int, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	data := append(r.partial, p...)
	for {
		line, rest, ok := bytes.Cut(data, []byte{'\n'})
		if !ok {
			break
		}
		if _, obj, found := bytes.Cut(line, []byte(event.Prefix)); found {
			r.Emit(obj)
		}
		data = rest
	}
	if len(data) > maxPartial {
		data = nil // no event line is this long: not ours
	}
	r.partial = slices.Clone(data)
	return len(p), nil
}

// maxPartial bounds what Write keeps of an unfinished line.
const maxPartial = 1 << 20

// Emit queues one event, a JSON object such as event.Format writes after
// the prefix, and returns at once. Anything but a JSON object is
// ignored, as is every event after Close or once the server refused them.
func (r *Reporter) Emit(obj []byte) {
	obj = bytes.TrimSpace(obj)
	if len(obj) == 0 || obj[0] != '{' || !json.Valid(obj) {
		return
	}
	line := bytes.Clone(obj)
	r.mu.Lock()
	if r.closed || r.stopped != nil {
		r.mu.Unlock()
		return
	}
	if len(r.queue) >= r.opts.BufferSize {
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.dropped++
	}
	r.queue = append(r.queue, line)
	r.next++
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // already woken
	}
}

// Queued returns how many events wait, the batch in flight included.
func (r *Reporter) Queued() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue) + r.inflight
}

// Close stops taking events and sends those still waiting, until ctx
// ends; then it gives up on the rest, says so in the log and returns an
// error counting them. Once the server refused the events it returns
// nil: the log said so then. Calling it again returns nil.
func (r *Reporter) Close(ctx context.Context) error {
	r.mu.Lock()
	already := r.closed
	r.closed = true
	r.mu.Unlock()
	if already {
		<-r.done
		return nil
	}
	close(r.closing)
	select {
	case <-r.done:
	case <-ctx.Done():
		r.cancel()
		<-r.done
	}
	r.cancel()
	r.mu.Lock()
	left, lastErr, stopped := len(r.queue)+r.inflight, r.lastErr, r.stopped
	r.mu.Unlock()
	if left == 0 || stopped != nil {
		return nil
	}
	msg := fmt.Sprintf("report: gave up on %d events not delivered to %s by the deadline", left, r.url)
	if lastErr != nil {
		msg += ": " + lastErr.Error()
	}
	r.opts.Log(msg)
	return errors.New(msg)
}
