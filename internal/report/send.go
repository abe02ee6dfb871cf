package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/httpretry"
)

// batch is one request's worth of events.
type batch struct {
	first   uint64   // number of lines[0]
	lines   [][]byte // JSON objects
	dropped int      // events dropped just before lines[0]
}

// body is the request body: the dropped note, then the events, one per
// line.
func (b batch) body() []byte {
	var buf bytes.Buffer
	if b.dropped > 0 {
		fmt.Fprintf(&buf, `{"event":%q,"dropped":%d}`+"\n", DroppedEvent, b.dropped)
	}
	for _, l := range b.lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// run sends batches until Close: until the queue is empty once Close was
// called, or until Close's deadline.
func (r *Reporter) run() {
	defer close(r.done)
	for {
		b, ok := r.take()
		if !ok {
			return
		}
		if b.dropped > 0 {
			r.opts.Log(fmt.Sprintf("report: dropped %d events: the buffer of %d was full while %s could not be reached", b.dropped, r.opts.BufferSize, r.url))
		}
		r.deliver(b)
	}
}

// take waits for events and takes the next batch; ok is false when the
// sender is to stop.
func (r *Reporter) take() (b batch, ok bool) {
	for {
		if r.ctx.Err() != nil {
			return batch{}, false // Close's deadline: what is left is given up
		}
		r.mu.Lock()
		if r.stopped == nil && len(r.queue) > 0 {
			n := min(len(r.queue), r.opts.BatchSize)
			b = batch{first: r.next - uint64(len(r.queue)), lines: slices.Clone(r.queue[:n]), dropped: r.dropped}
			r.queue, r.dropped, r.inflight = r.queue[n:], 0, n
			r.mu.Unlock()
			return b, true
		}
		closed := r.closed || r.stopped != nil
		r.mu.Unlock()
		if closed {
			return batch{}, false
		}
		select {
		case <-r.wake:
		case <-r.closing:
		case <-r.ctx.Done():
			return batch{}, false
		}
	}
}

// deliver sends b until it is delivered, refused, or Close's deadline
// passes.
func (r *Reporter) deliver(b batch) {
	body := b.body()
	for attempt := 0; ; attempt++ {
		err := r.post(r.ctx, ContentTypeEvents, body, strconv.FormatUint(b.first, 10))
		if err == nil {
			r.delivered(b.first + uint64(len(b.lines)))
			return
		}
		var f *finalError
		switch {
		case r.ctx.Err() != nil:
			return // Close's deadline: keep the last real error for its note
		case errors.As(err, &f):
			r.stop(err)
			return
		}
		r.mu.Lock()
		r.lastErr = err
		r.mu.Unlock()
		if !r.sleep(attempt) {
			return
		}
	}
}

// delivered records that every event numbered below end is delivered.
func (r *Reporter) delivered(end uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight, r.lastErr = 0, nil
	r.sent = end
	close(r.progress)
	r.progress = make(chan struct{})
}

// stop ends the reporting of events after the server refused them.
func (r *Reporter) stop(err error) {
	r.mu.Lock()
	n := len(r.queue) + r.inflight
	r.stopped, r.queue, r.inflight = err, nil, 0
	r.sent = r.next
	close(r.progress)
	r.progress = make(chan struct{})
	r.mu.Unlock()
	r.opts.Log(fmt.Sprintf("report: no more events are sent (%d dropped): %v", n, err))
}

// sleep waits before retry attempt+1. It returns false when Close's
// deadline passed. Close cuts the first wait after it short, so that the
// flush starts at once.
func (r *Reporter) sleep(attempt int) bool {
	closing := r.closing
	select {
	case <-closing:
		closing = nil // already closing: wait the whole delay
	default:
	}
	t := time.NewTimer(backoff.Jitter(r.opts.Backoff.Delay(attempt)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-closing:
	case <-r.ctx.Done():
		return false
	}
	return true
}

// finalError is a failure that no retry mends.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// post makes one request. It returns nil for a 2xx status, a
// *finalError for what no retry mends, and any other error otherwise.
func (r *Reporter) post(ctx context.Context, contentType string, body []byte, seq string) error {
	rctx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return &finalError{fmt.Errorf("report: %w", err)}
	}
	req.Header.Set("Content-Type", contentType)
	if r.opts.Machine != "" {
		req.Header.Set(MachineHeader, r.opts.Machine)
	}
	if seq != "" {
		req.Header.Set(SequenceHeader, seq)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		if resp != nil || httpretry.Untrusted(err) { // a refused redirect, a certificate
			return &finalError{fmt.Errorf("report: POST %s: %w", r.url, err)}
		}
		return fmt.Errorf("report: POST %s: %w", r.url, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	c := resp.StatusCode
	switch {
	case c >= 200 && c < 300:
		return nil
	case httpretry.Transient(c):
		return fmt.Errorf("report: POST %s: %w", r.url, &httpretry.StatusError{StatusCode: c, Status: resp.Status})
	}
	return &finalError{fmt.Errorf("report: POST %s: %w", r.url, &httpretry.StatusError{StatusCode: c, Status: resp.Status})}
}

// Bundle sends the log bundle (logbundle.Build's gzip-compressed tar).
// It first waits for the events emitted before it to be delivered, so
// that the server has the error event when the bundle comes; then it
// retries as events are retried, until ctx ends. Other statuses than
// 2xx, 408, 429 and 5xx are final (413 for a bundle the server finds
// too large). Events go on being sent meanwhile.
func (r *Reporter) Bundle(ctx context.Context, data []byte) error {
	if err := r.waitSent(ctx); err != nil {
		return fmt.Errorf("report: log bundle not sent, the events before it are not delivered: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err := r.post(ctx, ContentTypeBundle, data, "")
		var f *finalError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &f):
			return f.err
		case ctx.Err() != nil:
			return fmt.Errorf("report: log bundle: %w (last: %v)", ctx.Err(), err)
		}
		t := time.NewTimer(backoff.Jitter(r.opts.Backoff.Delay(attempt)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("report: log bundle: %w (last: %v)", ctx.Err(), err)
		}
	}
}

// waitSent waits until the events emitted so far are delivered, or will
// never be (reporting stopped or closed).
func (r *Reporter) waitSent(ctx context.Context) error {
	r.mu.Lock()
	target := r.next
	r.mu.Unlock()
	for {
		r.mu.Lock()
		done := r.sent >= target || r.stopped != nil || r.closed
		progress := r.progress
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
