package netanswers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/httpretry"
)

// Defaults of Options.
const (
	DefaultMaxSize        = 1 << 20
	DefaultRequestTimeout = 30 * time.Second
	defaultInitial        = time.Second
	defaultMax            = time.Minute
)

// MachineHeader carries the machine's SMBIOS UUID on every request, so
// that a server can tell machines apart in its own logs.
const MachineHeader = "X-Plinth-Machine"

// Options tune Fetch. The zero value waits forever, 1 s to 1 min apart.
type Options struct {
	// Identity is named in the messages to Waiting, and its UUID is sent
	// in the X-Plinth-Machine header.
	Identity Identity
	// Backoff spaces the rounds (zero: 1 s, doubling up to 1 min). Each
	// wait is jittered, a random time between half of it and all of it,
	// so that a rack powered on at once does not come back at once. A
	// server's Retry-After (408, 429, 5xx), if longer, is honoured, up to
	// Backoff.Max.
	Backoff backoff.Policy
	// MaxWait, if not 0, is how long after Fetch was called a round may
	// still start; then Fetch returns an error wrapping ErrGaveUp. 0 is
	// forever: only ctx ends the wait.
	MaxWait time.Duration
	// MaxSize bounds the answers file (0: DefaultMaxSize); a larger body
	// is a final error.
	MaxSize int64
	// RequestTimeout bounds one request, body included (0:
	// DefaultRequestTimeout); a request that takes longer is retried.
	RequestTimeout time.Duration
	// Waiting, if not nil, is called before every wait with a message
	// for people saying what happened and how long the wait is: the
	// installer shows it.
	Waiting func(msg string)
}

func (o Options) withDefaults() Options {
	if o.Backoff == (backoff.Policy{}) {
		o.Backoff = backoff.Policy{Initial: defaultInitial, Max: defaultMax}
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	return o
}

// ErrGaveUp is wrapped by the error Fetch returns when Options.MaxWait
// has passed without answers.
var ErrGaveUp = errors.New("gave up waiting for answers")

// Error is a final failure of Fetch at one URL: Err is an
// *answers.ParseError for a malformed answers file (errors.As finds its
// line and field), a *httpretry.StatusError for a status no retry can mend, or
// the transport's error (an untrusted certificate, a refused redirect).
type Error struct {
	URL string
	Err error
}

func (e *Error) Error() string { return "netanswers: answers at " + e.URL + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Found is what Fetch got: the answers file at one of the URLs.
type Found struct {
	URL     string // where the answers came from: the installer names it
	Body    []byte // the file as the server sent it
	Answers *answers.Answers
}

// Fetch gets the answers file, trying urls (Expand's result) in turn,
// round after round, until one gives it. Per URL:
//
//   - 200: the body is parsed with answers.Parse, as a local install.yaml
//     is. Fetch returns the URL, the body and the answers; or, if the
//     file is malformed, an *Error wrapping the *answers.ParseError:
//     final, the server's file must be fixed.
//   - 404 or 410: no answers for this machine (yet): the next URL, and
//     next round.
//   - 408, 429, 5xx, and network errors (no route, refused, reset,
//     timeout): the next URL, and next round.
//   - any other status (401, 403, 400...), a body over MaxSize, a
//     certificate the client does not trust, a refused redirect: final,
//     an *Error.
//
// Between rounds it waits (see Options.Backoff) after telling
// Options.Waiting why, e.g. "no answers for this machine (uuid …, mac …)
// at <url>; retrying in 4s". It waits until ctx ends (the error wraps
// ctx.Err()) or Options.MaxWait has passed (the error wraps ErrGaveUp).
// client is typically updatechannel.NewClient(CAs given at build time).
func Fetch(ctx context.Context, client *http.Client, urls []string, opts Options) (*Found, error) {
	if len(urls) == 0 || client == nil {
		return nil, errors.New("netanswers: Fetch needs a client and at least one URL")
	}
	opts = opts.withDefaults()
	start := time.Now()
	for round := 0; ; round++ {
		var misses []miss
		for _, u := range urls {
			body, err := get(ctx, client, u, opts)
			var m *miss
			switch {
			case err == nil:
				return parse(u, body)
			case errors.As(err, &m):
				misses = append(misses, *m)
			default:
				return nil, err
			}
		}
		wait := waitAfter(opts.Backoff, round, misses)
		if opts.MaxWait > 0 && time.Since(start)+wait > opts.MaxWait {
			return nil, fmt.Errorf("netanswers: %w within %v: %s", ErrGaveUp, opts.MaxWait, describe(misses, opts.Identity))
		}
		if opts.Waiting != nil {
			opts.Waiting(fmt.Sprintf("%s; retrying in %s", describe(misses, opts.Identity), human(wait)))
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("netanswers: waiting for answers: %w", err)
		}
	}
}

func parse(u string, body []byte) (*Found, error) {
	a, err := answers.Parse(body)
	if err != nil {
		return nil, &Error{URL: u, Err: err}
	}
	return &Found{URL: u, Body: body, Answers: a}, nil
}

// miss is a request that found no answers but may find them later.
type miss struct {
	url      string
	notFound bool          // 404, 410
	err      error         // otherwise, why
	after    time.Duration // the server's Retry-After
}

func (m *miss) Error() string { return m.url + ": " + m.err.Error() }

// get makes one request. It returns the body, a *miss, or a final error.
func get(ctx context.Context, client *http.Client, u string, opts Options) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{URL: u, Err: err}
	}
	req.Header.Set("Accept", "application/yaml, text/yaml, text/plain, */*")
	req.Header.Set("Cache-Control", "no-cache") // a proxy must not keep serving a 404
	if opts.Identity.UUID != "" {
		req.Header.Set(MachineHeader, opts.Identity.UUID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, transportError(ctx, u, resp, err)
	}
	defer resp.Body.Close()
	if err := checkStatus(u, resp, opts.Backoff.Max); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, opts.MaxSize+1))
	switch {
	case err != nil:
		return nil, transportError(ctx, u, nil, err)
	case int64(len(body)) > opts.MaxSize:
		return nil, &Error{URL: u, Err: fmt.Errorf("the answers file is larger than %d bytes", opts.MaxSize)}
	}
	return body, nil
}

// transportError classifies an error of a request that got no status.
func transportError(ctx context.Context, u string, resp *http.Response, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("netanswers: fetch %s: %w", u, ctx.Err())
	}
	// A response with an error is a redirect the client's CheckRedirect
	// refused (updatechannel's client: https to http): final, like an
	// untrusted certificate.
	if resp != nil || httpretry.Untrusted(err) {
		return &Error{URL: u, Err: err}
	}
	return &miss{url: u, err: err}
}

// checkStatus returns nil for 200, else a *miss or a final *Error.
func checkStatus(u string, resp *http.Response, maxAfter time.Duration) error {
	c := resp.StatusCode
	st := &httpretry.StatusError{StatusCode: c, Status: resp.Status}
	switch {
	case c == http.StatusOK:
		return nil
	case c == http.StatusNotFound || c == http.StatusGone:
		return &miss{url: u, notFound: true, err: st}
	case httpretry.Transient(c):
		return &miss{url: u, err: st, after: httpretry.RetryAfter(resp.Header.Get("Retry-After"), time.Now(), maxAfter)}
	}
	return &Error{URL: u, Err: st}
}

// waitAfter is the wait after round (0 is the first): the jittered
// backoff delay, or the longest Retry-After of the round if longer.
func waitAfter(p backoff.Policy, round int, misses []miss) time.Duration {
	wait := backoff.Jitter(p.Delay(round))
	for _, m := range misses {
		wait = max(wait, m.after)
	}
	return wait
}

// describe says for people what a round found: the URLs without answers
// together, naming the machine, then each other failure.
func describe(misses []miss, id Identity) string {
	var notFound, msgs []string
	for _, m := range misses {
		if m.notFound {
			notFound = append(notFound, m.url)
		} else {
			msgs = append(msgs, m.Error())
		}
	}
	if len(notFound) > 0 {
		msg := "no answers for this machine" + who(id) + " at " + strings.Join(notFound, " or ")
		msgs = append([]string{msg}, msgs...)
	}
	return strings.Join(msgs, "; ")
}

// who names the machine as the server may know it: " (uuid …, mac …)".
func who(id Identity) string {
	var parts []string
	if id.UUID != "" {
		parts = append(parts, "uuid "+id.UUID)
	}
	if macs := id.MACs(); len(macs) > 0 {
		parts = append(parts, "mac "+strings.Join(macs, " or "))
	}
	if id.Serial != "" {
		parts = append(parts, "serial "+id.Serial)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// human rounds a wait for people: 1.5s, 32s, 1m0s; below a second, ms.
func human(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
