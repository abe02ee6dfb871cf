package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/netanswers"
	"github.com/plinth-os/plinth/internal/report"
)

// reportBacklog bounds the events kept until the reporter is there:
// as many as a reporter itself keeps.
const reportBacklog = report.DefaultBufferSize

// reports is the events' way to the report URL. The Emitter's writer is
// fixed when the Emitter is made, before anyone knows whether there is
// a report URL or a network, so reports sits in it from the start: it
// keeps the events (the newest reportBacklog) until a report.Reporter
// is attached once the network is up, and the Reporter gets those
// first, so that the server sees the install from its first event. When
// it is known that no Reporter will come, it keeps nothing. A nil
// *reports sends nothing.
type reports struct {
	logf func(string, ...any)

	mu      sync.Mutex
	rep     *report.Reporter // nil until attached
	backlog [][]byte         // event lines written before
	dropped int              // lines the backlog lost to its bound
	off     bool             // no Reporter will come
	ready   chan struct{}    // closed once rep is set or off
}

func newReports(logf func(string, ...any)) *reports {
	return &reports{logf: logf, ready: make(chan struct{})}
}

// Write takes the Emitter's event lines. It never fails and never
// waits for the network.
func (r *reports) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.rep != nil:
		r.rep.Write(p)
	case !r.off:
		if len(r.backlog) >= reportBacklog {
			r.backlog[0] = nil
			r.backlog = r.backlog[1:]
			r.dropped++
		}
		r.backlog = append(r.backlog, bytes.Clone(p))
	}
	return len(p), nil
}

// attach hands the events kept so far, then every later one, to rep.
// After stop it closes rep at once.
func (r *reports) attach(rep *report.Reporter) {
	r.mu.Lock()
	if r.off {
		r.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rep.Close(ctx)
		return
	}
	for _, line := range r.backlog {
		rep.Write(line)
	}
	dropped := r.dropped
	r.rep, r.backlog = rep, nil
	close(r.ready)
	r.mu.Unlock()
	if dropped > 0 {
		r.logf("reports: the first %d events were not kept until the network was up", dropped)
	}
}

// stop says that no Reporter will come: the events kept are dropped,
// and why is logged ("" for an image without a report URL).
func (r *reports) stop(why string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.off || r.rep != nil {
		r.mu.Unlock()
		return
	}
	n := len(r.backlog) + r.dropped
	r.off, r.backlog = true, nil
	close(r.ready)
	r.mu.Unlock()
	if why != "" {
		r.logf("reports: %s; %d events not sent", why, n)
	}
}

// wanted reports whether a Reporter is attached or may still come.
func (r *reports) wanted() bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.off
}

// errNoReports: there is no report URL, or it could not be used.
var errNoReports = errors.New("no reports are sent")

// bundle sends the log bundle once the Reporter is there, until ctx
// ends (report.Reporter.Bundle).
func (r *reports) bundle(ctx context.Context, data []byte) error {
	select {
	case <-r.ready:
	case <-ctx.Done():
		return fmt.Errorf("the network had no address: %w", ctx.Err())
	}
	r.mu.Lock()
	rep := r.rep
	r.mu.Unlock()
	if rep == nil {
		return errNoReports
	}
	return rep.Bundle(ctx, data)
}

// close sends what is queued until ctx ends and stops the reports; the
// Reporter logs what it gave up on.
func (r *reports) close(ctx context.Context) {
	if r == nil {
		return
	}
	r.mu.Lock()
	rep := r.rep
	r.mu.Unlock()
	if rep == nil {
		r.stop("the network never had an address")
		return
	}
	rep.Close(ctx)
}

// startReports sends the installer's events to s's URL once the
// network has an address; without a template it keeps nothing.
func (a *app) startReports(s netSource) {
	if s.Kind == "" {
		a.reports.stop("")
		return
	}
	go a.connectReports(s)
}

// connectReports waits for the network, fills in s's template for this
// machine (with ${mac}, the first wired interface's) and attaches a
// Reporter to it.
func (a *app) connectReports(s netSource) {
	a.network().WaitAddress(context.Background())
	id := netanswers.ReadIdentity(a.roots.Sys)
	urls, err := netanswers.Expand(s.Template, id)
	if err != nil {
		a.reports.stop(err.Error())
		return
	}
	client, err := a.httpClient()
	if err != nil {
		a.reports.stop(err.Error())
		return
	}
	rep, err := report.New(client, urls[0], report.Options{Machine: id.UUID, Backoff: a.net.reportRetry,
		Log: func(msg string) { a.journal.Logf("%s", msg) }})
	if err != nil {
		a.reports.stop(err.Error())
		return
	}
	a.journal.Logf("reports: sending the events to %s (URL template %s %s)", urls[0], s.Template, s.origin())
	a.reports.attach(rep)
}

// finishReports gives the reports at most reportWait to go out before
// the machine reboots or powers off: a report server that cannot be
// reached must not hold up the install.
func (a *app) finishReports() {
	ctx, cancel := context.WithTimeout(context.Background(), a.net.reportWait)
	defer cancel()
	a.reports.close(ctx)
}

// sendLogBundle sends the log bundle to the report URL after a failed
// install, in the background: the failure screen does not wait for it.
func (a *app) sendLogBundle() {
	if !a.reports.wanted() {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), a.net.bundleWait)
		defer cancel()
		cands, _, _ := install.Discover(a.env)
		data, err := a.logBundle(cands, time.Now().UTC())
		if err == nil {
			err = a.reports.bundle(ctx, data)
		}
		if err != nil {
			a.journal.Logf("reports: log bundle not sent: %v", err)
			return
		}
		a.journal.Logf("reports: log bundle sent (%d bytes)", len(data))
	}()
}
