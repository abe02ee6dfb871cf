package health

import (
	"context"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/servicestate"
)

const (
	starting  = servicestate.HealthStarting
	healthy   = servicestate.HealthHealthy
	unhealthy = servicestate.HealthUnhealthy
)

// While a service is starting within its start period it is checked
// first after firstPace, then at gaps of a quarter of the time since it
// started, between firstPace and startPace: a service that is up in
// 200 ms is found healthy by 250 ms, one up in 400 ms by 500 ms (at most
// a quarter late, about ten checks in the first second), not at the
// first whole second, and one that takes long is not asked more than
// once a startPace. The start period is at least startPace, so that a
// service without one is not failed by the quick checks of its first
// second.
const (
	firstPace = 50 * time.Millisecond
	startPace = time.Second
)

// tracker is the state of one run's checks.
type tracker struct {
	check      Check
	started    time.Time
	state      servicestate.Health
	failures   int  // in a row, counted
	wasHealthy bool // in this run
}

// observe takes a check's result at time at and returns the health.
func (t *tracker) observe(at time.Time, err error) servicestate.Health {
	if err == nil {
		t.failures, t.wasHealthy, t.state = 0, true, healthy
		return t.state
	}
	if !t.wasHealthy && at.Sub(t.started) < t.startPeriod() {
		return t.state // failures do not count yet
	}
	t.failures++
	if t.failures >= t.check.Retries {
		t.state = unhealthy
	}
	return t.state
}

// startPeriod is the check's start period, at least startPace.
func (t *tracker) startPeriod() time.Duration { return max(t.check.StartPeriod, startPace) }

// next is the time from at to the next check.
func (t *tracker) next(at time.Time) time.Duration {
	since := at.Sub(t.started)
	if t.state == starting && since < t.startPeriod() {
		return min(t.check.Interval, startPace, max(firstPace, since/4))
	}
	return t.check.Interval
}

// Emitter receives events (internal/event's Emitter).
type Emitter interface {
	Emit(event.Event) error
}

// Options configure a Monitor.
type Options struct {
	Service string
	Check   *Check        // nil: healthy once the process has run MinUp
	MinUp   time.Duration // for a service without check
	Run     CommandFunc   // runs a command check; required for Kind Command
	Events  Emitter       // service-health events; nil: none
	// OnChange is called after every change of health or reason, from
	// the goroutine that made it and without locks held.
	OnChange func()
}

// Monitor keeps one service's health. Its methods are safe for
// concurrent use.
type Monitor struct {
	o Options

	mu     sync.Mutex
	state  servicestate.Health
	reason string
	gen    int                // the run; results of earlier runs are dropped
	cancel context.CancelFunc // ends the current run's checks
	closed bool
}

// New returns a Monitor of a service not started yet (starting).
func New(o Options) *Monitor {
	if o.Check != nil {
		c := o.Check.WithDefaults()
		o.Check = &c
	}
	return &Monitor{o: o, state: starting, reason: "not started yet"}
}

// Health returns the service's health and why.
func (m *Monitor) Health() (servicestate.Health, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state, m.reason
}

// Waiting says the service is not started yet, and why.
func (m *Monitor) Waiting(reason string) {
	m.set(m.newRun(), starting, reason)
}

// Started says a new run of the service has started: it is starting,
// and checks begin.
func (m *Monitor) Started() {
	ctx, cancel := context.WithCancel(context.Background())
	m.mu.Lock()
	gen := m.advance()
	m.cancel = cancel
	m.mu.Unlock()
	m.set(gen, starting, "started")
	go m.watch(ctx, gen, time.Now())
}

// Ended says the run has ended: healthy if ok (it ended as its restart
// policy allows), else unhealthy; reason says how.
func (m *Monitor) Ended(reason string, ok bool) {
	h := unhealthy
	if ok {
		h = healthy
	}
	m.set(m.newRun(), h, reason)
}

// Close ends the checks; the health no longer changes.
func (m *Monitor) Close() {
	m.newRun()
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
}

// newRun ends the current run's checks and returns the next run.
func (m *Monitor) newRun() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.advance()
}

// advance is newRun with m.mu held.
func (m *Monitor) advance() int {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.gen++
	return m.gen
}

// set records the health of run gen, emitting an event when it changed.
func (m *Monitor) set(gen int, h servicestate.Health, reason string) {
	m.mu.Lock()
	if m.closed || gen != m.gen || (h == m.state && reason == m.reason) {
		m.mu.Unlock()
		return
	}
	prev := m.state
	m.state, m.reason = h, reason
	if h != prev && m.o.Events != nil {
		// Under the lock: the events of one service stay in order.
		m.o.Events.Emit(event.ServiceHealth{Service: m.o.Service, Health: h, Previous: prev, Reason: reason})
	}
	m.mu.Unlock()
	if m.o.OnChange != nil {
		m.o.OnChange()
	}
}

// watch runs the checks of run gen until ctx ends.
func (m *Monitor) watch(ctx context.Context, gen int, started time.Time) {
	if m.o.Check == nil {
		select {
		case <-ctx.Done():
		case <-time.After(m.o.MinUp):
			m.set(gen, healthy, "running")
		}
		return
	}
	c := *m.o.Check
	tr := tracker{check: c, started: started, state: starting}
	t := time.NewTimer(tr.next(started))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, c.Timeout)
		desc, err := c.Probe(pctx, m.o.Run)
		cancel()
		if ctx.Err() != nil {
			return // the run ended while checking: its result means nothing
		}
		now := time.Now()
		h := tr.observe(now, err)
		if err != nil {
			desc = err.Error()
		}
		m.set(gen, h, desc)
		t.Reset(tr.next(now))
	}
}
