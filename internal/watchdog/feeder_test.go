package watchdog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeDog records when it was fed; feed number failAt (from 1) fails.
type fakeDog struct {
	mu     sync.Mutex
	fed    []time.Time
	failAt int
}

var errFeed = errors.New("EIO")

func (d *fakeDog) Keepalive() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failAt == len(d.fed)+1 {
		return errFeed
	}
	d.fed = append(d.fed, time.Now())
	return nil
}

func (d *fakeDog) feeds() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.fed...)
}

func TestFeeder(t *testing.T) {
	const every = 5 * time.Second
	tests := []struct {
		name       string
		healthyFor time.Duration // Healthy says true until then; 0: nil Healthy
		failAt     int
		cancelAt   time.Duration // 0: never
		reason     Reason
		feeds      int
	}{
		{"unhealthy", 17 * time.Second, 0, 0, ReasonUnhealthy, 4}, // fed at 0, 5, 10, 15
		{"unhealthy from the start", -1, 0, 0, ReasonUnhealthy, 0},
		{"canceled", time.Hour, 0, 12 * time.Second, ReasonCanceled, 3},
		{"no Healthy", 0, 0, 21 * time.Second, ReasonCanceled, 5},
		{"keepalive fails", time.Hour, 3, 0, ReasonKeepaliveFailed, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				dog := &fakeDog{failAt: tt.failAt}
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancelAt > 0 {
					time.AfterFunc(tt.cancelAt, cancel)
				}
				var stops []Stop
				f := &Feeder{Dog: dog, Interval: every, OnStop: func(s Stop) { stops = append(stops, s) }}
				if tt.healthyFor != 0 {
					f.Healthy = func() bool { return time.Since(start) < tt.healthyFor }
				}
				st := f.Run(ctx)
				checkStop(t, st, stops, tt.reason, tt.feeds)
				if tt.reason == ReasonKeepaliveFailed && !errors.Is(st.Err, errFeed) {
					t.Errorf("Err = %v, want the keepalive's error", st.Err)
				}
				fed := dog.feeds()
				for i, at := range fed {
					if d := at.Sub(start); d != time.Duration(i)*every {
						t.Errorf("feed %d at %v, want %v", i, d, time.Duration(i)*every)
					}
				}
				if len(fed) > 0 && !st.LastFed.Equal(fed[len(fed)-1]) {
					t.Errorf("LastFed %v, want the last feed %v", st.LastFed, fed[len(fed)-1])
				}
			})
		})
	}
}

func checkStop(t *testing.T, st Stop, stops []Stop, reason Reason, feeds int) {
	t.Helper()
	if st.Reason != reason || st.Feeds != feeds {
		t.Errorf("Run = %+v, want reason %s after %d feeds", st, reason, feeds)
	}
	if len(stops) != 1 || stops[0] != st {
		t.Errorf("OnStop got %+v, want once %+v", stops, st)
	}
	if feeds == 0 && !st.LastFed.IsZero() {
		t.Errorf("LastFed %v without a feed", st.LastFed)
	}
}

func TestFeederWithoutDog(t *testing.T) {
	st := (&Feeder{}).Run(context.Background())
	if st.Reason != ReasonKeepaliveFailed || !errors.Is(st.Err, errNoDog) {
		t.Errorf("Run = %+v, want keepalive-failed: no dog", st)
	}
}

// A *Watchdog is what the appliance gives a Feeder.
var _ Keepaliver = (*Watchdog)(nil)
