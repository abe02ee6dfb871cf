// Package backoff computes exponential retry delays and their jitter. The
// supervisor spaces service restarts with it, netup DHCP attempts, and the
// updater, install answers and reports their HTTP retries, so all follow
// the same, table-tested schedule.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is an exponential schedule: Initial, then doubling, capped at Max.
type Policy struct {
	Initial time.Duration // first delay; 0 means 1 s
	Max     time.Duration // cap; 0 means no cap
}

// Delay returns the delay before retry number attempt (0 is the first
// retry): Initial * 2^attempt, capped at Max.
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Initial
	if d <= 0 {
		d = time.Second
	}
	if attempt < 0 {
		attempt = 0
	}
	for i := 0; i < attempt; i++ {
		// Stop doubling at the cap, and before overflowing int64.
		if (p.Max > 0 && d >= p.Max) || d > (1<<62)/2 {
			break
		}
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	return d
}

// Jitter returns a random duration between d/2 and d, so that many
// machines retrying the same server do not retry in step.
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d-d/2+1)
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
