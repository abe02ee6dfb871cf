// Package eventtest records events in tests the way automation reads
// them: each one is formatted, checked against its documented form
// (event.Validate) and parsed back.
package eventtest

import (
	"sync"
	"testing"

	"github.com/plinth-os/plinth/internal/event"
)

// Recorder is an event sink for tests; it is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	events  []map[string]any
	invalid []error
}

// Emit records ev, or the reason it is not as documented.
func (r *Recorder) Emit(ev event.Event) error {
	line, err := event.Format(ev)
	if err == nil {
		err = event.Validate(string(line))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.invalid = append(r.invalid, err)
		return err
	}
	obj, _ := event.Parse(string(line))
	r.events = append(r.events, obj)
	return nil
}

// All returns the events recorded so far, parsed.
func (r *Recorder) All() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.events...)
}

// Named returns the recorded events called name.
func (r *Recorder) Named(name string) []map[string]any {
	var out []map[string]any
	for _, e := range r.All() {
		if e["event"] == name {
			out = append(out, e)
		}
	}
	return out
}

// Check fails t for every event that was not as documented.
func (r *Recorder) Check(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.invalid {
		t.Errorf("emitted an event not as documented: %v", err)
	}
}

// CheckOutput fails t for every event line in a program's captured
// output that is not as docs/events.md documents it.
func CheckOutput(t testing.TB, out string) {
	t.Helper()
	for _, err := range event.ValidateOutput(out) {
		t.Error(err)
	}
}
