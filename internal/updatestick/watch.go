package updatestick

import (
	"context"
	"time"
)

// DefaultInterval is how often Watch looks for sticks: soon enough for
// someone standing at the appliance, rare enough that reading a few
// sectors of each disk costs nothing.
const DefaultInterval = 5 * time.Second

// Watcher tells which update sticks are new since its last Poll.
type Watcher struct {
	o Options
	// seen maps each device node on which a stick was seen to that
	// stick's Volume.ID.
	seen map[string]string
}

// NewWatcher returns a Watcher that has seen nothing yet: its first Poll
// returns every stick present.
func NewWatcher(o Options) *Watcher { return &Watcher{o: o, seen: map[string]string{}} }

// Poll scans (see Find) and returns the sticks that were not there at the
// previous Poll: plugged in since, or plugged in again (a new ID). A
// stick is forgotten when a scan shows its device gone or holding
// something else; a device that is listed but cannot be read at the
// moment keeps what was seen on it, so that a stick is not reported twice
// because one read failed. err is Find's.
func (w *Watcher) Poll() ([]Volume, error) {
	s, err := w.o.scan()
	if s.unreadable == nil {
		return nil, err // no scan at all: nothing is known to be gone
	}
	next := make(map[string]string, len(s.vols))
	var appeared []Volume
	for _, v := range s.vols {
		next[v.Device] = v.ID
		if w.seen[v.Device] != v.ID {
			appeared = append(appeared, v)
		}
	}
	for dev, id := range w.seen {
		if s.unreadable[dev] {
			next[dev] = id
		}
	}
	w.seen = next
	return appeared, err
}

// Watch polls every interval (DefaultInterval if 0) until ctx ends, and
// calls found for every stick that appears, the ones present at the start
// included. problem, if not nil, is called with a scan's error when it
// differs from the previous scan's, so that a wrongly labelled stick is
// reported once rather than every few seconds. Watch returns ctx's error,
// or at once an error if o cannot work (no boot disk).
func Watch(ctx context.Context, o Options, interval time.Duration, found func(Volume), problem func(error)) error {
	if o.BootDisk == "" {
		return errNoBootDisk
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	w := NewWatcher(o)
	t := time.NewTicker(interval)
	defer t.Stop()
	last := ""
	for {
		vols, err := w.Poll()
		for _, v := range vols {
			found(v)
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != last && err != nil && problem != nil {
			problem(err)
		}
		last = msg
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
