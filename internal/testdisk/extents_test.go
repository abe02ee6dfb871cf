package testdisk

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExtentSum: the sum sees a write into a hole, even of zeros, and
// only the region asked for.
func TestExtentSum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("data"), 1<<20)
	before := ExtentSum(t, path, 0, -1)
	region := ExtentSum(t, path, 32<<20, 32<<20)
	f.WriteAt(make([]byte, 4096), 40<<20) // zeros into a hole
	if ExtentSum(t, path, 0, -1) == before {
		t.Error("zeros written into a hole left the sum as it was")
	}
	if ExtentSum(t, path, 0, 32<<20) != ExtentSum(t, path, 0, 32<<20) || ExtentSum(t, path, 32<<20, 32<<20) == region {
		t.Error("the region sums do not follow the writes")
	}
}
