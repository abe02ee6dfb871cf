package install

import (
	"os"
	"time"

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
	n, total             int64
	stepBytes, stepTotal int64
	onWrite              func()
	lastReport           time.Time
}

func (c *countingFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.File.WriteAt(p, off)
	c.n += int64(n)
	c.stepBytes += int64(n)
	if c.onWrite != nil && time.Since(c.lastReport) > 100*time.Millisecond {
		c.lastReport = time.Now()
		c.onWrite()
	}
	return n, err
}
