package testdisk

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/plinth-os/plinth/internal/sparse"
)

// ExtentSum hashes size bytes of the file at off (size -1: to the end):
// where its data extents lie and their bytes. Holes are skipped, so that
// a large sparse disk image hashes in the time of its data; a write into
// a hole, even of zeros, allocates it and changes the sum, which is what
// a test that a disk was not touched wants.
func ExtentSum(t testing.TB, path string, off, size int64) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if size < 0 {
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		size = fi.Size() - off
	}
	h := sha256.New()
	for pos, end := off, off+size; pos < end; {
		data, hole, err := sparse.NextExtent(f, pos, end)
		if err != nil {
			t.Fatal(err)
		}
		if data == end {
			break
		}
		fmt.Fprintf(h, "extent %d %d\n", data, hole)
		if _, err := io.Copy(h, io.NewSectionReader(f, data, hole-data)); err != nil {
			t.Fatal(err)
		}
		pos = hole
	}
	return [32]byte(h.Sum(nil))
}
