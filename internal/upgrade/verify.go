package upgrade

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/vfat"
)

// verify reads the ESP back from the raw disk, as the firmware will
// find it, after the unmount: the partition table as it was, the new
// slot's UKI, slots.json with the slot staged and its trial armed, the
// installed config unchanged; and BootNext naming the slot's entry.
func (u *upgrader) verify(res *Result) error {
	u.progress(step.Verify, 0, 0)
	in := u.plan.Installation
	f, err := blockdev.Open(blockdev.Roots{Dev: u.env.DevRoot}.Node(in.Disk.Disk.Name), blockdev.Options{})
	if err != nil {
		return failWritten(errcode.Verify, "upgrade: verify: %w", err)
	}
	defer f.Close()
	if err := f.DropCache(); err != nil {
		return failWritten(errcode.Verify, "upgrade: verify: %w", err)
	}
	fsys, err := u.readTable(f)
	if err != nil {
		return failWritten(errcode.Verify, "upgrade: verify: %w", err)
	}
	if err := u.verifyFiles(fsys); err != nil {
		return failWritten(errcode.Verify, "upgrade: verify: %w", err)
	}
	if res.BootEntryLabel != u.plan.Label {
		return failWritten(errcode.Verify, "upgrade: verify: BootNext names %q, not %q", res.BootEntryLabel, u.plan.Label)
	}
	return nil
}

// readTable checks that the disk's GPT still has the ESP and the data
// partition where they were, and opens the ESP.
func (u *upgrader) readTable(f *blockdev.File) (*vfat.FS, error) {
	in := u.plan.Installation
	t, err := gpt.Read(f, f.Size(), f.SectorSize())
	if err != nil {
		return nil, fmt.Errorf("re-read the partition table: %w", err)
	}
	want := []gpt.Partition{in.ESP}
	if in.Data != nil {
		want = append(want, *in.Data)
	}
	for _, w := range want {
		if got := t.Partition(w.Number); got == nil || *got != w {
			return nil, fmt.Errorf("partition %d (%s) is no longer what it was", w.Number, w.GUID)
		}
	}
	ss := int64(t.SectorSize)
	return vfat.Open(f, int64(in.ESP.FirstLBA)*ss, int64(in.ESP.Sectors())*ss)
}

// verifyFiles checks the new slot, slots.json and plinth.json.
func (u *upgrader) verifyFiles(fsys *vfat.FS) error {
	p := u.plan
	same, err := fsys.SameContent(p.Slot.Path(), u.req.UKI, nil)
	if err != nil {
		return err
	}
	if !same {
		uki, err := fsys.ReadFile(p.Slot.Path())
		if err != nil {
			return err
		}
		return fmt.Errorf("%s differs from the installer's runtime UKI (sha256 %x)", p.Slot.Path(), sha256.Sum256(uki))
	}
	b, err := fsys.ReadFile(abslot.StatePath)
	if err != nil {
		return err
	}
	st, err := abslot.ParseState(b)
	if err != nil {
		return err
	}
	ss, t := st.Slot(p.Slot), st.Trial
	switch {
	case ss.Status != abslot.Staged || ss.Version != p.ToVersion:
		return fmt.Errorf("%s records slot %s as %s %s, not staged %s", abslot.StatePath, p.Slot, ss.Status, ss.Version, p.ToVersion)
	case t == nil || t.Slot != p.Slot || !t.Armed:
		return fmt.Errorf("%s records no armed trial of slot %s (%+v)", abslot.StatePath, p.Slot, t)
	case st.Slot(st.Committed).Version != p.FromVersion:
		return fmt.Errorf("%s records %s committed in slot %s, not %s", abslot.StatePath, st.Slot(st.Committed).Version, st.Committed, p.FromVersion)
	}
	cfg, err := fsys.ReadFile(appconfig.RelPath)
	if err != nil {
		return err
	}
	if !bytes.Equal(cfg, p.Installation.config) {
		return fmt.Errorf("%s changed", appconfig.RelPath)
	}
	return nil
}
