package main

import (
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/event"
)

// checkEvents fails t for every event line in out that is not as
// docs/events.md documents it.
func checkEvents(t *testing.T, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, event.Prefix) {
			continue
		}
		if err := event.Validate(line); err != nil {
			t.Errorf("%v\n  in %s", err, line)
		}
	}
}
