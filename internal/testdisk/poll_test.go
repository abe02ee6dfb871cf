package testdisk

import (
	"strings"
	"testing"
	"time"
)

func TestEventually(t *testing.T) {
	calls := 0
	start := time.Now()
	Eventually(t, "the third call", 5*time.Second, func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Errorf("cond called %d times, want 3", calls)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned %v after the condition held", d)
	}

	start = time.Now()
	r := record(t, func(tb testing.TB) { Eventually(tb, "never", 50*time.Millisecond, func() bool { return false }) })
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("gave up after %v, before the timeout", d)
	}
	if !strings.Contains(r.fatal, "timed out after 50ms waiting for never") {
		t.Errorf("failed with %q", r.fatal)
	}
}
