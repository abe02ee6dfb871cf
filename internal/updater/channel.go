package updater

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/updatechannel"
)

// Channel is where Poll looks for updates.
type Channel struct {
	URL      string        // the channel file
	Interval time.Duration // between checks
	Client   *http.Client  // updatechannel.NewClient with the product's CAs
	// Dir holds downloads: a directory in RAM on an appliance (never
	// /data; not the ESP, see the appliance's paths). A partial download
	// stays there for a resume in this boot; the files of other versions
	// are removed when a download starts.
	Dir string
}

// Poll checks the channel now and then every c.Interval until ctx ends,
// and applies a newer version it names: download (resumed, retried,
// progress events), verify, stage, reboot. A version that failed here
// before is not downloaded again.
func (u *Updater) Poll(ctx context.Context, c Channel) {
	for {
		if err := u.checkChannel(ctx, c); err != nil {
			u.o.Log("Updates: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.Interval):
		}
	}
}

// CheckChannel checks the channel once, now (the local command's
// "check"), and applies a newer version as Poll does.
func (u *Updater) CheckChannel(ctx context.Context, c Channel) error { return u.checkChannel(ctx, c) }

// checkChannel does one check of the channel, announced as update-check.
func (u *Updater) checkChannel(ctx context.Context, c Channel) error {
	ch, err := u.newerInChannel(ctx, c)
	ev := event.UpdateCheck{Source: c.URL, Running: u.o.Version}
	switch {
	case err != nil:
		ev.Error = err.Error()
	case ch != nil:
		ev.Available, ev.URL, ev.Size = ch.Version, ch.URL, ch.Size
	}
	u.o.Events.Emit(ev)
	if ch == nil {
		return err
	}
	return u.downloadAndApply(ctx, c, ch)
}

// newerInChannel reads the channel and returns what it names when that
// is newer than the running version and did not fail here; nil
// otherwise (a failed version waits for a newer one).
func (u *Updater) newerInChannel(ctx context.Context, c Channel) (*updatechannel.Channel, error) {
	ch, err := updatechannel.Check(ctx, c.Client, c.URL)
	if err != nil {
		return nil, err
	}
	if ch.Product != u.o.Product {
		return nil, fmt.Errorf("the channel %s is for %s, not %s", c.URL, ch.Product, u.o.Product)
	}
	if newer, err := bundle.CompareVersions(ch.Version, u.o.Version); err != nil || newer <= 0 || u.Failed(ch.Version) {
		return nil, nil
	}
	return &ch, nil
}

// downloadAndApply fetches the bundle ch names into c.Dir, with
// update-download events, and applies it.
func (u *Updater) downloadAndApply(ctx context.Context, c Channel, ch *updatechannel.Channel) error {
	dst := filepath.Join(c.Dir, bundle.FileName(ch.Product, ch.Version))
	if err := prepareDownload(dst, ch.Size); err != nil {
		return err
	}
	err := updatechannel.Download(ctx, c.Client, *ch, dst, updatechannel.Options{Progress: func(p updatechannel.Progress) {
		ev := event.UpdateDownload{Version: ch.Version, Bytes: p.Done, Total: p.Total, Rate: p.Rate, Attempt: p.Attempt}
		if p.Retry != nil {
			ev.Retry = p.Retry.Error()
		}
		u.o.Events.Emit(ev)
	}})
	if err != nil {
		return fmt.Errorf("download %s: %w", ch.URL, err)
	}
	f, err := os.Open(dst)
	if err != nil {
		return err
	}
	defer os.Remove(dst)
	defer f.Close()
	return u.Apply(f, ch.URL)
}

// prepareDownload makes dst's directory, removes what other downloads
// left in it, and checks that a bundle of size bytes fits beside what dst
// already holds of it.
func prepareDownload(dst string, size int64) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("download directory: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return fmt.Errorf("download directory: %w", err)
	}
	var have int64
	for _, n := range names {
		if !strings.HasPrefix(n, dst) {
			os.Remove(n)
		} else if fi, err := os.Stat(n); err == nil {
			have += fi.Size()
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("download directory: %w", err)
	}
	if free := int64(st.Bavail) * st.Bsize; free+have < size {
		return fmt.Errorf("the bundle (%d MiB) does not fit in the %d MiB free for downloads in %s: "+
			"give the machine more memory, or update it from a PLINTHUPD stick", size>>20, (free+have)>>20, dir)
	}
	return nil
}
