package gpt

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// BenchmarkWriteTable builds and writes (with fsync) a two-partition table
// on an 8 GiB sparse image, and runs the equivalent sgdisk command on the
// same image for comparison: sgdisk-ns/op is its time per run, and
// sgdisk/gpt the ratio of the two.
func BenchmarkWriteTable(b *testing.B) {
	sgdisk := testdisk.Tool(b, "sgdisk")
	img := testdisk.TempSparse(b, "disk.img", 8<<30)
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	write := func() {
		tb, err := New(8<<30, 512)
		if err != nil {
			b.Fatal(err)
		}
		start, _ := tb.FirstFree()
		if err := tb.Add(Partition{Number: 1, Type: TypeESP, FirstLBA: start, LastLBA: start + 1<<20 - 1}); err != nil {
			b.Fatal(err)
		}
		start, _ = tb.FirstFree()
		end, _ := tb.FreeEnd(start)
		if err := tb.Add(Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: start, LastLBA: end}); err != nil {
			b.Fatal(err)
		}
		if err := tb.Write(f); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		write()
	}
	ours := b.Elapsed() / time.Duration(b.N)

	b.StopTimer()
	runs := min(b.N, 5) // sgdisk takes about a second a run (see the report)
	t0 := time.Now()
	for range runs {
		cmd := exec.Command(sgdisk, "-o", "-n", "1:0:+512M", "-t", "1:EF00", "-n", "2:0:0", "-t", "2:8300", img)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sgdisk: %v\n%s", err, out)
		}
	}
	theirs := time.Since(t0) / time.Duration(runs)
	b.ReportMetric(float64(theirs.Nanoseconds()), "sgdisk-ns/op")
	b.ReportMetric(float64(theirs)/float64(ours), "sgdisk/gpt")
}
