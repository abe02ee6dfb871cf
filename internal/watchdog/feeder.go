package watchdog

import (
	"context"
	"errors"
	"time"
)

// DefaultInterval is how often a Feeder feeds when its Interval is 0:
// often enough for any timeout of 2 s or more.
const DefaultInterval = time.Second

// Keepaliver is what a Feeder feeds: a *Watchdog.
type Keepaliver interface {
	Keepalive() error
}

// Feeder feeds a watchdog while the appliance is healthy.
type Feeder struct {
	// Dog is the watchdog to feed.
	Dog Keepaliver
	// Interval is the time between feeds, 0 for DefaultInterval. Keep it
	// well under the timeout (a third of it, say): a feed that comes late
	// because the machine is busy should not reset it.
	Interval time.Duration
	// Healthy is asked before every feed; when it says false the Feeder
	// stops feeding for good, and the watchdog resets the machine when
	// its timeout runs out. It must say true while the appliance starts
	// normally (it answers "should this machine keep running?", not "is
	// everything up yet?"). A Healthy that hangs stops the feeding too,
	// which is right: a hung supervisor is a hung appliance. nil means
	// always healthy: the watchdog then guards against hangs of the
	// kernel and of this process only.
	Healthy func() bool
	// OnStop, if not nil, is called once when the Feeder stops feeding,
	// with what Run returns, so that the caller can say so (an event)
	// before the machine resets.
	OnStop func(Stop)
}

// Reason is why a Feeder stopped feeding.
type Reason string

// Reasons of Stop.
const (
	// ReasonCanceled: Run's context was cancelled. The watchdog is still
	// armed: on a clean stop the caller disarms it, else it fires.
	ReasonCanceled Reason = "canceled"
	// ReasonUnhealthy: Healthy said false.
	ReasonUnhealthy Reason = "unhealthy"
	// ReasonKeepaliveFailed: a feed failed (Stop.Err says how). The
	// Feeder does not try again: a device that cannot be fed cannot be
	// relied on, and the reset it brings is the safe way out.
	ReasonKeepaliveFailed Reason = "keepalive-failed"
)

// Stop says why and when a Feeder stopped feeding.
type Stop struct {
	Reason Reason
	Err    error     // for ReasonKeepaliveFailed
	At     time.Time // when it stopped
	// LastFed is the time of the last feed, zero if there was none: the
	// machine resets one timeout after it.
	LastFed time.Time
	Feeds   int // how many feeds there were
}

// errNoDog is the error of a Feeder without a Dog.
var errNoDog = errors.New("watchdog: Feeder has no Dog")

// Run feeds the dog at once and then every Interval, until Healthy says
// false, a feed fails or ctx is cancelled. It never disarms the
// watchdog. It calls OnStop and returns why it stopped.
func (f *Feeder) Run(ctx context.Context) Stop {
	interval := f.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var st Stop
	for {
		if reason, err := f.feed(ctx); reason != "" {
			st.Reason, st.Err = reason, err
			break
		}
		st.LastFed = time.Now()
		st.Feeds++
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	st.At = time.Now()
	if f.OnStop != nil {
		f.OnStop(st)
	}
	return st
}

// feed feeds the dog once if it should, or says why it did not.
func (f *Feeder) feed(ctx context.Context) (Reason, error) {
	switch {
	case ctx.Err() != nil:
		return ReasonCanceled, nil
	case f.Healthy != nil && !f.Healthy():
		return ReasonUnhealthy, nil
	case f.Dog == nil:
		return ReasonKeepaliveFailed, errNoDog
	}
	if err := f.Dog.Keepalive(); err != nil {
		return ReasonKeepaliveFailed, err
	}
	return "", nil
}
