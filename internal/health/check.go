package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// Kind is a kind of check.
type Kind string

// Kinds of check.
const (
	HTTP    Kind = "http"    // GET http://127.0.0.1:Port/Path answers Status
	TCP     Kind = "tcp"     // 127.0.0.1:Port accepts a connection
	Command Kind = "command" // Command exits 0
)

// Defaults for zero fields of a Check.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 5 * time.Second
	DefaultRetries  = 3
	DefaultPath     = "/"
	DefaultStatus   = http.StatusOK
)

// Check says how to find out whether a service is healthy.
type Check struct {
	Kind    Kind
	Port    int      // HTTP, TCP: on 127.0.0.1
	Path    string   // HTTP; "" is DefaultPath
	Status  int      // HTTP: the status that means healthy; 0 is DefaultStatus
	Command []string // Command: argv, argv[0] an absolute path
	// Interval is the time between checks, Timeout the most one may
	// take, StartPeriod the time after a start in which failures do not
	// count, Retries the failures in a row that make it unhealthy.
	Interval, Timeout, StartPeriod time.Duration
	Retries                        int
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c Check) WithDefaults() Check {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, DefaultInterval)
	def(&c.Timeout, min(DefaultTimeout, c.Interval))
	if c.Retries < 1 {
		c.Retries = DefaultRetries
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Status == 0 {
		c.Status = DefaultStatus
	}
	return c
}

// CommandFunc runs argv (as the service's user) until it exits or ctx
// ends, and returns nil for exit status 0, otherwise an error that says
// how it ended ("exit status 1: <its last output>").
type CommandFunc func(ctx context.Context, argv []string) error

// Probe runs the check once, within ctx (give it a deadline: Timeout).
// Both the description and the error say what was seen: "GET /health:
// 200", "GET /health: 503", "connect 127.0.0.1:2379: connection
// refused".
func (c Check) Probe(ctx context.Context, run CommandFunc) (string, error) {
	c = c.WithDefaults()
	timeout := c.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl).Round(time.Millisecond)
	}
	switch c.Kind {
	case HTTP:
		return c.probeHTTP(ctx, timeout)
	case TCP:
		addr := c.addr()
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return "", errors.New(describe(err, timeout))
		}
		conn.Close()
		return "connected to " + addr, nil
	case Command:
		return c.probeCommand(ctx, run, timeout)
	}
	return "", fmt.Errorf("health: unknown kind of check %q", c.Kind)
}

func (c Check) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)) }

// probeHTTP sends one GET on a new connection (a service that stopped
// accepting connections must not look healthy through an old one) and
// checks the status of the answer; a redirect is an answer, not
// followed. It writes and reads with net/http's Request.Write and
// ReadResponse but without a Transport, whose pool and per-connection
// goroutines are code that runs for the first time at boot: under
// emulation the first check took 0.13 to 0.21 s through a Transport and
// takes 0.10 to 0.13 s so (most of it the first dial), on the way from
// the services' start to runtime-ready.
func (c Check) probeHTTP(ctx context.Context, timeout time.Duration) (string, error) {
	what := "GET " + c.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.addr()+c.Path, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	req.Close = true
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.addr())
	if err != nil {
		return "", fmt.Errorf("%s: %s", what, describe(err, timeout))
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// A deadline in the past ends the reads and writes when ctx ends early.
	defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })()
	if err := req.Write(conn); err != nil {
		return "", fmt.Errorf("%s: %s", what, describe(err, timeout))
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return "", fmt.Errorf("%s: %s", what, describe(err, timeout))
	}
	resp.Body.Close()
	got := fmt.Sprintf("%s: %d", what, resp.StatusCode)
	if resp.StatusCode != c.Status {
		if c.Status != http.StatusOK {
			got += fmt.Sprintf(" (want %d)", c.Status)
		}
		return "", errors.New(got)
	}
	return got, nil
}

func (c Check) probeCommand(ctx context.Context, run CommandFunc, timeout time.Duration) (string, error) {
	if len(c.Command) == 0 {
		return "", errors.New("health: a command check without a command")
	}
	if run == nil {
		return "", errors.New("health: no way to run commands")
	}
	name := c.Command[0]
	if err := run(ctx, c.Command); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s: %s", name, describe(ctx.Err(), timeout))
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return name + ": exit status 0", nil
}

// describe says what a failed connection or request ran into, briefly:
// "connect 127.0.0.1:2379: connection refused", "no answer within 2s".
func describe(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		inner := op.Err
		var se *os.SyscallError
		if errors.As(inner, &se) {
			inner = se.Err
		}
		return fmt.Sprintf("connect %s: %v", op.Addr, inner)
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error() // drops net/http's `Get "http://...":` prefix
	}
	return err.Error()
}
