package install

import (
	"os"
	"time"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/step"
)

// Progress is how far an install is.
type Progress struct {
	Step    step.Name
	Percent int
	Bytes   int64         // written to the disk so far
	Total   int64         // expected bytes to write
	Elapsed time.Duration // since the install started; 0 before
}

func (env Env) progress(p Progress) {
	if env.Events != nil {
		ev := event.Progress{Step: p.Step, Percent: p.Percent, Seconds: p.Elapsed.Seconds()}
		if p.Total > 0 {
			ev.Written = &event.Written{Bytes: p.Bytes, Total: p.Total}
		}
		env.Events.Emit(ev)
	}
	if env.Progress != nil {
		env.Progress(p)
	}
}

func (env Env) log(format string, args ...any) {
	if env.Log != nil {
		env.Log(format, args...)
	}
}

// stepFrom is where the progress bar stands as step s starts.
func stepFrom(s step.Name) int {
	st, _ := step.Lookup(s)
	return st.From
}

// stepBytes is about how much step s writes, for its share of the
// progress bar: the ESP's files (espBytes) and the FAT metadata, the
// ext4 metadata (measured: about 130 KiB for 8 GiB), the GPT.
func stepBytes(s step.Name, espBytes int64) int64 {
	switch s {
	case step.FormatESP:
		return espBytes + 1<<20
	case step.FormatData:
		return 1 << 20
	case step.Partition:
		return 64 << 10
	}
	return 0
}

// countingFile counts the bytes written through it for the progress
// bar. It keeps Fd and Stat, so the formatters still find the fast
// paths (hole detection, BLKZEROOUT) of the file underneath.
type countingFile struct {
	*os.File
	// direct, if not nil, writes the aligned heads of large writes past
	// the page cache (the ESP's files, from the payload's memory).
	direct               *blockdev.DirectWriter
	n, total             int64
	stepBytes, stepTotal int64
	// onWrite reports progress; WriteAt calls it through the throttle.
	onWrite  func()
	throttle throttle
}

func (c *countingFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.write(p, off)
	c.n += int64(n)
	c.stepBytes += int64(n)
	if c.onWrite != nil && c.throttle.due() {
		c.throttle.run(c.onWrite)
	}
	return n, err
}

// directMin is the smallest write that goes past the page cache: the
// filesystems' metadata, written in small pieces, is gathered there and
// written back at the flush.
const directMin = 64 << 10

// write writes p at off: its aligned head past the page cache when c
// has a direct writer and p is large, the rest through the file.
func (c *countingFile) write(p []byte, off int64) (int, error) {
	n := 0
	if c.direct != nil && len(p) >= directMin {
		k, err := c.direct.WriteHead(p, off)
		if err != nil {
			return k, err
		}
		n = k
	}
	if n == len(p) {
		return n, nil
	}
	k, err := c.File.WriteAt(p[n:], off+int64(n))
	return n + k, err
}

// report reports progress now (a step starts), and counts it for the
// throttle.
func (c *countingFile) report() {
	if c.onWrite != nil {
		c.throttle.run(c.onWrite)
	}
}

// Reports during the writes come at most every reportEvery, and take at
// most 1/reportShare of the time: a report redraws the screen and writes
// the console, which under emulation or on a slow framebuffer can take
// longer than reportEvery, and would then follow every single write.
const (
	reportEvery = 100 * time.Millisecond
	reportShare = 5
)

// throttle spaces out reports: the next is due reportEvery after the
// previous one ended, or (reportShare-1) times that report's own
// duration, whichever is longer.
type throttle struct {
	next time.Time
	now  func() time.Time // nil: time.Now
}

func (t *throttle) clock() time.Time {
	if t.now == nil {
		return time.Now()
	}
	return t.now()
}

// due reports whether a report may run now.
func (t *throttle) due() bool { return !t.clock().Before(t.next) }

// run runs report and schedules the next.
func (t *throttle) run(report func()) {
	start := t.clock()
	report()
	end := t.clock()
	t.next = end.Add(max(reportEvery, (reportShare-1)*end.Sub(start)))
}
