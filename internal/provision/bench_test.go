package provision

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// benchUKI is a runtime UKI stand-in of n bytes: varied content, so that
// nothing can take a shortcut over it.
func benchUKI(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// benchDisk is the installer's disk for a size: a 9 MiB runtime UKI at its
// slot path and the fallback path, the config, ext4 on the rest.
func benchDisk(b *testing.B, size int64) Disk {
	b.Helper()
	l, err := Plan(size, 512, 0, []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	d, err := l.Disk(Content{RuntimeUKI: benchUKI(9 << 20), LoaderPath: "EFI/plinth/plinth.efi",
		Config: testConfig(l), ModTime: time.Unix(1700000000, 0)})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// recorder discards what is written but counts it, and takes zeroing
// requests as a block device takes BLKZEROOUT: without data.
type recorder struct{ writes, written, zeroed int64 }

func (r *recorder) WriteAt(p []byte, off int64) (int, error) {
	r.writes++
	r.written += int64(len(p))
	return len(p), nil
}

func (r *recorder) ZeroRange(off, n int64) error {
	r.zeroed += n
	return nil
}

func (r *recorder) report(b *testing.B) {
	b.ReportMetric(float64(r.writes), "writes/op")
	b.ReportMetric(float64(r.written), "written-B/op")
	b.ReportMetric(float64(r.zeroed), "zeroed-B/op")
}

// BenchmarkWriteDisk writes an 8 GiB installed disk: "discard" into a
// recorder (CPU only, as on a block device that zeroes without data
// transfer), "file" into a fresh sparse file each time.
func BenchmarkWriteDisk(b *testing.B) {
	const size = 8 << 30
	d := benchDisk(b, size)
	b.Run("8GiB/discard", func(b *testing.B) {
		b.ReportAllocs()
		var r recorder
		for b.Loop() {
			r = recorder{}
			if err := WriteDisk(&r, d); err != nil {
				b.Fatal(err)
			}
		}
		r.report(b)
	})
	b.Run("8GiB/file", func(b *testing.B) {
		b.ReportAllocs()
		img := testdisk.TempSparse(b, "disk.img", size)
		for b.Loop() {
			b.StopTimer()
			f := freshSparse(b, img, size)
			b.StartTimer()
			if err := WriteDisk(f, d); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			f.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkWriteDiskDevice writes the 8 GiB disk onto a loop device over
// a sparse file, over and over: the installer's path, with the page
// cache, BLKZEROOUT and the table's fsyncs (root only).
func BenchmarkWriteDiskDevice(b *testing.B) {
	testdisk.RequireRoot(b, "a loop device stands in for the disk")
	const size = 8 << 30
	d := benchDisk(b, size)
	loop := testdisk.AttachLoop(b, testdisk.TempSparse(b, "disk.img", size), testdisk.LoopOptions{NoPartScan: true})
	b.Run("8GiB/loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := os.OpenFile(loop.Dev, os.O_RDWR, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := WriteDisk(f, d); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}

// BenchmarkWriteDiskParts times each part of WriteDisk alone, into a
// recorder: the ESP, the data partition and the partition table.
func BenchmarkWriteDiskParts(b *testing.B) {
	d := benchDisk(b, 8<<30)
	t, err := d.table()
	if err != nil {
		b.Fatal(err)
	}
	parts := []struct {
		name string
		run  func(*recorder) error
	}{
		{"esp", func(r *recorder) error { return d.format(r, d.Parts[0]) }},
		{"data", func(r *recorder) error { return d.format(r, d.Parts[1]) }},
		{"table", func(r *recorder) error { return t.Write(r) }},
	}
	for _, p := range parts {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			var r recorder
			for b.Loop() {
				r = recorder{}
				if err := p.run(&r); err != nil {
					b.Fatal(err)
				}
			}
			r.report(b)
		})
	}
}

// freshSparse empties the file at path and makes it size bytes of hole.
func freshSparse(b *testing.B, path string, size int64) *os.File {
	b.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_TRUNC, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		b.Fatal(fmt.Errorf("truncate %s: %w", path, err))
	}
	return f
}
