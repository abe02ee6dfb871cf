package mkext4

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// countingWriter counts what Format writes, and what it asks to be zeroed,
// without storing anything.
type countingWriter struct{ written, zeroed, writes int64 }

func (c *countingWriter) WriteAt(p []byte, off int64) (int, error) {
	c.written += int64(len(p))
	c.writes++
	return len(p), nil
}

func (c *countingWriter) ZeroRange(off, n int64) error {
	c.zeroed += n
	return nil
}

func TestBytesWritten(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int64
		maxBytes int64
	}{
		{"8GiB", 8 << 30, 1 << 20},
		{"100GiB", 100 << 30, 4 << 20},
		{"1TiB", 1 << 40, 16 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c countingWriter
			if err := Format(&c, 0, tc.size, Options{UUID: testUUID, ModTime: testTime}); err != nil {
				t.Fatal(err)
			}
			g, err := newGeometry(tc.size, 4096)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: wrote %d bytes in %d writes, zeroed %d (journal)", tc.name, c.written, c.writes, c.zeroed)
			if c.written > tc.maxBytes {
				t.Errorf("wrote %d bytes, want at most %d", c.written, tc.maxBytes)
			}
			if c.zeroed != int64(g.journalBlocks*g.bs) {
				t.Errorf("zeroed %d bytes, want the journal's %d", c.zeroed, g.journalBlocks*g.bs)
			}
		})
	}
}

// BenchmarkFormat formats into a counting writer, reports the bytes
// written, and once per size times Format on a sparse file (with fsync)
// next to `mke2fs -q -t ext4 -F` (lazy_itable_init, the default) on a
// sparse file of the same size.
func BenchmarkFormat(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int64
	}{{"8GiB", 8 << 30}, {"1TiB", 1 << 40}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := Options{UUID: testUUID, ModTime: testTime}
			var c countingWriter
			for b.Loop() {
				c = countingWriter{}
				if err := Format(&c, 0, bc.size, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.written), "bytes-written")
			b.ReportMetric(float64(c.zeroed), "bytes-zeroed")

			ours := timeFile(b, bc.size, func(p string) error {
				f, err := os.OpenFile(p, os.O_RDWR, 0)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := Format(f, 0, bc.size, opts); err != nil {
					return err
				}
				return f.Sync()
			})
			mke2fs := timeFile(b, bc.size, func(p string) error {
				return exec.Command(testdisk.Tool(b, "mke2fs"), "-q", "-t", "ext4", "-F", p).Run()
			})
			b.ReportMetric(float64(ours.Milliseconds()), "ms-file")
			b.ReportMetric(float64(mke2fs.Milliseconds()), "ms-mke2fs")
			b.ReportMetric(mke2fs.Seconds()/ours.Seconds(), "mke2fs/ours")
		})
	}
}

// timeFile times f on a new sparse file of size bytes.
func timeFile(b *testing.B, size int64, f func(string) error) time.Duration {
	b.Helper()
	p := sparseImage(b, size)
	start := time.Now()
	if err := f(p); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
