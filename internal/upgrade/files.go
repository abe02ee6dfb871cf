package upgrade

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/step"
)

// addShim copies MokManager and then shim beside the slots. Shim goes
// last: its presence is what makes the appliance (and Repair) boot the
// slots through it, so it only appears once MokManager is there.
func (u *upgrader) addShim(root string) error {
	for _, f := range []struct {
		name string
		data []byte
	}{{bootchain.MokManagerName, u.req.MokManager}, {bootchain.ShimName, u.req.Shim}} {
		rel := path.Join(abslot.Dir, f.name)
		if err := writeChecked(root, rel, f.data); err != nil {
			return failWritten(errcode.UpgradeWrite, "upgrade: add %s: %w", rel, err)
		}
		logf(u.env, "upgrade: added %s from the installer", rel)
	}
	return nil
}

// writeChecked makes rel under root hold data: a temporary file beside
// it, synced and renamed over it, the directory synced, and the file
// read back.
func writeChecked(root, rel string, data []byte) error {
	dst := filepath.Join(root, filepath.FromSlash(rel))
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := dst + ".new"
	if err := writeSynced(tmp, data); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", dir, err)
		}
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("%s reads back different from what was written", rel)
	}
	return nil
}

func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// countingReader reports how much of the stream was read, at most every
// 100 ms, for the progress bar.
type countingReader struct {
	r      io.Reader
	n      int64
	last   time.Time
	report func(n int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if time.Since(c.last) > 100*time.Millisecond {
		c.last = time.Now()
		c.report(c.n)
	}
	return n, err
}

// progress reports step s, done of total bytes through it (total 0:
// the step starts), as the install reports its steps.
func (u *upgrader) progress(s step.Name, done, total int64) {
	st, _ := step.Lookup(s)
	p := install.Progress{Step: s, Percent: st.Percent(done, total), Bytes: done, Total: total, Elapsed: time.Since(u.start)}
	if u.env.Events != nil {
		ev := event.Progress{Step: s, Percent: p.Percent, Seconds: p.Elapsed.Seconds()}
		if total > 0 {
			ev.Written = &event.Written{Bytes: done, Total: total}
		}
		u.env.Events.Emit(ev)
	}
	if u.env.Progress != nil {
		u.env.Progress(p)
	}
}
