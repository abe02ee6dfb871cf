package updatechannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/httpretry"
)

// copyBufferSize is how much of the body is read per write to the .part.
const copyBufferSize = 256 << 10

// maxRetryAfter bounds a server's Retry-After.
const maxRetryAfter = 24 * time.Hour

// errStalled cancels a request that received nothing for StallTimeout.
var errStalled = errors.New("stalled")

// try makes one request and writes what it receives to the .part. It
// returns nil when the bundle is complete and in place, a *retryError
// when another request may do better, or a final error.
func (d *downloader) try(ctx context.Context) error {
	if d.part.n > 0 && d.part.meta.validator() == "" {
		// Without an ETag or Last-Modified nothing says that the server's
		// file is still the one the .part began with: start again.
		if err := d.part.restart(); err != nil {
			return err
		}
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(d.opts.StallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()
	req, err := d.request(actx)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return d.failed(ctx, actx, err)
	}
	defer resp.Body.Close()
	body, err := d.accept(resp)
	if err != nil {
		return err
	}
	if body {
		if err := d.copy(ctx, actx, resp.Body, stall); err != nil {
			return err
		}
	}
	return d.complete()
}

func (d *downloader) request(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.ch.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("updatechannel: download %s: %w", d.ch.URL, err)
	}
	// Ranges and sizes are of the file itself: no transparent gzip.
	req.Header.Set("Accept-Encoding", "identity")
	if d.part.n > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", d.part.n))
		req.Header.Set("If-Range", d.part.meta.validator())
	}
	return req, nil
}

// failed classifies an error of a request or of reading its body.
func (d *downloader) failed(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("updatechannel: download %s: %w", d.ch.URL, ctx.Err())
	}
	if context.Cause(actx) == errStalled {
		return retry(fmt.Errorf("download %s: nothing received for %v", d.ch.URL, d.opts.StallTimeout))
	}
	if isFinal(err) {
		return fmt.Errorf("updatechannel: download %s: %w", d.ch.URL, err)
	}
	return retry(fmt.Errorf("download %s: %w", d.ch.URL, err))
}

// isFinal reports errors that no retry can mend: a certificate the
// client does not trust, or a redirect it refuses.
func isFinal(err error) bool {
	return httpretry.Untrusted(err) || errors.Is(err, errDowngrade)
}

// accept checks the response's status and headers and prepares the .part
// for its body; body is false when there is no body to copy.
func (d *downloader) accept(resp *http.Response) (body bool, err error) {
	switch c := resp.StatusCode; {
	case c == http.StatusOK:
		if resp.ContentLength >= 0 && resp.ContentLength != d.ch.Size {
			return false, d.sizeError(resp.ContentLength)
		}
		return true, d.part.begin(resp)
	case c == http.StatusPartialContent:
		return d.acceptRange(resp)
	case c == http.StatusRequestedRangeNotSatisfiable:
		return false, d.notSatisfiable(resp)
	case httpretry.Transient(c):
		return false, &retryError{
			err:   &StatusError{URL: d.ch.URL, StatusCode: c, Status: resp.Status},
			after: httpretry.RetryAfter(resp.Header.Get("Retry-After"), time.Now(), maxRetryAfter),
		}
	}
	return false, fmt.Errorf("updatechannel: %w", &StatusError{URL: d.ch.URL, StatusCode: resp.StatusCode, Status: resp.Status})
}

// acceptRange checks that a 206 continues the .part where it ends.
func (d *downloader) acceptRange(resp *http.Response) (bool, error) {
	cr := resp.Header.Get("Content-Range")
	start, total, ok := parseContentRange(cr)
	switch {
	case ok && total >= 0 && total != d.ch.Size:
		return false, d.sizeError(total)
	case ok && start == d.part.n:
		d.part.resumed = d.part.resumed || start > 0
		return true, nil
	}
	if err := d.part.restart(); err != nil {
		return false, err
	}
	return false, retry(fmt.Errorf("download %s: asked for bytes from %d, got Content-Range %q: starting again", d.ch.URL, d.part.n, cr))
}

// notSatisfiable handles a 416: the .part may already be complete.
func (d *downloader) notSatisfiable(resp *http.Response) error {
	cr := resp.Header.Get("Content-Range")
	if _, total, ok := parseContentRange(cr); ok && total >= 0 && total != d.ch.Size {
		return d.sizeError(total)
	}
	if d.part.n == d.ch.Size {
		return nil // complete: the digest decides
	}
	n := d.part.n
	if err := d.part.restart(); err != nil {
		return err
	}
	return retry(fmt.Errorf("download %s: %s for bytes from %d: starting again", d.ch.URL, resp.Status, n))
}

func (d *downloader) sizeError(got int64) error {
	return fmt.Errorf("%w: %s is %d bytes, the channel says %d", ErrSize, d.ch.URL, got, d.ch.Size)
}

// copy appends the body to the .part, up to the bundle's size.
func (d *downloader) copy(ctx, actx context.Context, body io.Reader, stall *time.Timer) error {
	buf := make([]byte, copyBufferSize)
	r := io.LimitReader(body, d.ch.Size-d.part.n)
	for d.part.n < d.ch.Size {
		k, err := r.Read(buf)
		if k > 0 {
			stall.Reset(d.opts.StallTimeout)
			if _, werr := d.part.Write(buf[:k]); werr != nil {
				return werr
			}
			if d.part.n > d.best {
				d.best, d.progressed = d.part.n, true
			}
			d.reportDue()
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d.failed(ctx, actx, err)
		}
	}
	if d.part.n < d.ch.Size {
		return retry(fmt.Errorf("download %s: the response ended at byte %d of %d", d.ch.URL, d.part.n, d.ch.Size))
	}
	return nil
}

// complete checks the complete .part's digest and puts it in place.
func (d *downloader) complete() error {
	got := d.part.digest()
	if got == d.ch.SHA256 {
		d.report(Progress{})
		return d.part.finish()
	}
	if d.part.resumed && !d.retriedDigest {
		d.retriedDigest, d.best = true, 0
		if err := d.part.restart(); err != nil {
			return err
		}
		return retry(fmt.Errorf("%w: the .part was put together from several responses: downloading it again in one piece", ErrDigest))
	}
	if err := d.part.discard(); err != nil {
		return err
	}
	if err := reject(d.part.dst, d.ch); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s has SHA-256 %s, the channel says %s: deleted; version %s from this channel will not be downloaded again",
		ErrDigest, d.ch.URL, got, d.ch.SHA256, d.ch.Version)
}

// parseContentRange parses "bytes first-last/total" and "bytes */total";
// total is -1 when the server gives "*", start -1 in the second form.
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		var err error
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, false
		}
	}
	if rng == "*" {
		return -1, total, true
	}
	first, last, found := strings.Cut(rng, "-")
	start, err1 := strconv.ParseInt(first, 10, 64)
	end, err2 := strconv.ParseInt(last, 10, 64)
	if !found || err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	return start, total, true
}
