package testdisk

import (
	"testing"
	"time"
)

// maxPollInterval bounds how long Eventually sleeps between two looks, and
// so how late after the condition holds it returns.
const maxPollInterval = 20 * time.Millisecond

// Eventually waits until cond returns true, failing the test with what it
// waited for if timeout passes first. Tests use it instead of sleeping for
// a fixed time: it returns soon after the condition holds, and a slow
// machine only makes it take longer, not fail.
func Eventually(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for interval := time.Millisecond; !cond(); interval = min(2*interval, maxPollInterval) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}
