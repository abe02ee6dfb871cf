// Package backoff computes exponential retry delays. The supervisor uses it
// to space service restarts and netup to space DHCP attempts, so both
// follow the same, table-tested schedule.
package backoff

import "time"

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
