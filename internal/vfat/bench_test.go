package vfat

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// benchSizes are the sizes both benchmarks format.
func benchSizes() []int64 { return []int64{64 * mib, 8 * gib, 1 * tib} }

// countingFile counts the bytes written to a file. It passes Fd through
// so that Format can still find the file's holes.
type countingFile struct {
	f       *os.File
	written int64
}

func (c *countingFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.f.WriteAt(p, off)
	c.written += int64(n)
	return n, err
}

func (c *countingFile) Fd() uintptr { return c.f.Fd() }

// BenchmarkFormat formats fresh sparse files, reporting the bytes written
// and the disk space they ended up using.
func BenchmarkFormat(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(sizeName(size), func(b *testing.B) {
			f := sparseFile(b, size)
			cf := &countingFile{f: f}
			var alloc int64
			for b.Loop() {
				b.StopTimer()
				if err := f.Truncate(0); err != nil {
					b.Fatal(err)
				}
				if err := f.Truncate(size); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := Format(cf, 0, size, Options{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				alloc += allocatedBytes(b, f)
				b.StartTimer()
			}
			b.ReportMetric(float64(cf.written)/float64(b.N), "written-B/op")
			b.ReportMetric(float64(alloc)/float64(b.N), "allocated-B/op")
		})
	}
}

// BenchmarkMkfsVfat runs mkfs.vfat on the same sizes, for comparison.
func BenchmarkMkfsVfat(b *testing.B) {
	mkfs := testdisk.Tool(b, "mkfs.vfat")
	for _, size := range benchSizes() {
		b.Run(sizeName(size), func(b *testing.B) {
			img := filepath.Join(b.TempDir(), "mkfs.img")
			var alloc int64
			for b.Loop() {
				b.StopTimer()
				os.Remove(img)
				b.StartTimer()
				if out, err := exec.Command(mkfs, "-C", img, strconv.FormatInt(size/kib, 10)).CombinedOutput(); err != nil {
					b.Fatalf("mkfs.vfat: %v\n%s", err, out)
				}
				b.StopTimer()
				f, err := os.Open(img)
				if err != nil {
					b.Fatal(err)
				}
				alloc += allocatedBytes(b, f)
				f.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(alloc)/float64(b.N), "allocated-B/op")
		})
	}
}

func sizeName(size int64) string {
	switch {
	case size >= tib:
		return fmt.Sprintf("%dTiB", size/tib)
	case size >= gib:
		return fmt.Sprintf("%dGiB", size/gib)
	}
	return fmt.Sprintf("%dMiB", size/mib)
}
