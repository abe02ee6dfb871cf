package testdisk

import (
	"os"
	"testing"
)

// RequireRoot skips the test unless it runs as root, saying what root is
// needed for. `make test` runs as root, so there every such test runs; a
// developer running `go test` as a normal user gets the reason instead of
// a permission error.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root to %s (make test runs as root)", why)
	}
}
