package main

import (
	"testing"

	"github.com/plinth-os/plinth/internal/event"
)

// checkEvents fails t for every event line in out that is not as
// docs/events.md documents it.
func checkEvents(t *testing.T, out string) {
	t.Helper()
	for _, err := range event.ValidateOutput(out) {
		t.Error(err)
	}
}
