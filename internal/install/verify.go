package install

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/background"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/ext4"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/partfind"
	"github.com/plinth-os/plinth/internal/provision"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/vfat"
	"golang.org/x/sys/unix"
)

// readBackESP reads every file on the ESP back from the disk, not from
// the cache, and compares it with what was written.
func (x *execution) readBackESP() error { return x.readBack(x.verifyESP) }

// readBackTable reads the partition table back from the disk.
func (x *execution) readBackTable() error { return x.readBack(x.verifyTable) }

// readBack runs check on the disk as diskReader reads it.
func (x *execution) readBack(check func(io.ReaderAt) error) error {
	r, closeReader, err := x.diskReader()
	if err != nil {
		return err
	}
	defer closeReader()
	return check(r)
}

// diskReader is how the read-back reads the disk: past the page cache
// (blockdev.DirectReader) where the file system allows, else through
// the cache, emptied first.
func (x *execution) diskReader() (io.ReaderAt, func(), error) {
	d, err := blockdev.OpenDirect(x.gd.Path())
	if err == nil {
		return d, func() { d.Close() }, nil
	}
	x.env.log("verify: %v; reading back through the page cache", err)
	if err := x.gd.DropCache(); err != nil {
		return nil, nil, fail(errcode.Verify, "install: verify: %w", err)
	}
	return x.dev, func() {}, nil
}

// verify checks what was written against the plan: the partition table
// and the ESP's files read back from the disk, the boot entry, and the
// ext4 round trip (data, running). A difference on the disk is reported
// before the others.
func (x *execution) verify(num uint16, data *background.Job) error {
	x.progress(step.Verify)
	bootErr := x.verifyBootEntry(num)
	diskErr := x.readBackTable()
	if x.espRead == nil {
		diskErr = cmp.Or(diskErr, fail(errcode.Internal, "install: the plan has no EFI system partition"))
	} else {
		diskErr = cmp.Or(diskErr, x.espRead.Wait())
	}
	return cmp.Or(diskErr, bootErr, data.Wait())
}

// verifyData checks each ext4 partition of the plan (verifyExt4).
func (x *execution) verifyData() error {
	for _, p := range x.plan.Partitions {
		if p.Filesystem != provision.Ext4 {
			continue
		}
		if err := x.verifyExt4(p); err != nil {
			return err
		}
	}
	return nil
}

// verifyExt4 reads the superblock of ext4 partition p back: it must be
// the filesystem the plan made there (its UUID is the PARTUUID). On a
// block device the kernel then mounts it for a write/read round trip;
// an image file has no partition devices to mount.
func (x *execution) verifyExt4(p installplan.PlanPart) error {
	b := make([]byte, 1024)
	off := int64(p.FirstLBA)*int64(x.plan.Disk.SectorSize) + 1024
	if _, err := x.dev.ReadAt(b, off); err != nil {
		return fail(errcode.Verify, "install: verify: read the superblock of partition %d: %w", p.Number, err)
	}
	sb, err := ext4.ParseSuperblock(b)
	if err != nil {
		return fail(errcode.Verify, "install: verify: partition %d: %w", p.Number, err)
	}
	if sb.UUID != p.GUID || sb.Label != p.Label {
		return fail(errcode.Verify, "install: verify: partition %d holds ext4 %s %q, not the %s %q written", p.Number, sb.UUID, sb.Label, p.GUID, p.Label)
	}
	if !x.gd.IsBlockDevice() {
		x.env.log("verify: %s is an image file: no partition device to mount", x.gd.Path())
		return nil
	}
	part, err := partfind.OnDisk(x.env.SysRoot, x.env.DevRoot, x.plan.Disk.Name, p.GUID)
	if err != nil {
		return fail(errcode.Verify, "install: verify: %w", err)
	}
	return dataRoundTrip(part.Device)
}

// verifyTable checks that every partition of the plan is on the disk
// as planned.
func (x *execution) verifyTable(r io.ReaderAt) error {
	t, err := gpt.Read(r, x.plan.Disk.Size, x.plan.Disk.SectorSize)
	if err != nil {
		return fail(errcode.Verify, "install: verify: re-read partition table: %w", err)
	}
	if t.DiskGUID != x.plan.Disk.GUID {
		return fail(errcode.Verify, "install: verify: the disk GUID is %s, not the %s written", t.DiskGUID, x.plan.Disk.GUID)
	}
	for _, want := range x.plan.Partitions {
		got := t.Partition(want.Number)
		if got == nil || got.GUID != want.GUID || got.Type != want.Type || got.FirstLBA != want.FirstLBA || got.LastLBA != want.LastLBA {
			return fail(errcode.Verify, "install: verify: partition %d (%s) is not where it was written", want.Number, want.Name)
		}
	}
	return nil
}

// readBackChunk is how much of a file the ESP's read-back reads at once.
const readBackChunk = 1 << 20

// verifyESP reads every file the plan lists back from the ESP and
// compares it with the bytes written, which espFiles checked against the
// plan's digests: a comparison costs far less CPU than a second digest.
// The files are read a chunk at a time into one aligned buffer
// (vfat.FS.SameContent): reading each whole into memory of its own
// (15 MiB for an install) made the read-back 0.17 to 0.23 s under
// emulation.
func (x *execution) verifyESP(r io.ReaderAt) error {
	esp, ok := x.plan.ESP()
	if !ok {
		return fail(errcode.Internal, "install: the plan has no EFI system partition")
	}
	ss := int64(x.plan.Disk.SectorSize)
	fsys, err := vfat.Open(r, int64(esp.FirstLBA)*ss, int64(esp.Sectors())*ss)
	if err != nil {
		return fail(errcode.Verify, "install: verify: open ESP: %w", err)
	}
	buf := blockdev.AlignedBuffer(readBackChunk)
	for _, f := range x.plan.ESPFiles {
		same, err := fsys.SameContent(f.Path, x.files[f.Path], buf)
		if err != nil {
			return fail(errcode.Verify, "install: verify: read %s: %w", f.Path, err)
		}
		if !same {
			return fail(errcode.Verify, "install: verify: %s on the disk differs from what was written (%s, want sha256 %s)", f.Path, onDisk(fsys, f.Path), f.SHA256)
		}
	}
	return nil
}

// onDisk describes the file name on fsys for an error: its size and
// SHA-256.
func onDisk(fsys *vfat.FS, name string) string {
	b, err := fsys.ReadFile(name)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d bytes with sha256 %x", len(b), sha256.Sum256(b))
}

// verifyBootEntry reads Boot#### num back: it must hold the plan's
// device path.
func (x *execution) verifyBootEntry(num uint16) error {
	opt, err := efivar.ReadBootEntry(x.env.Vars, num)
	if err != nil {
		return fail(errcode.Verify, "install: verify: read %s: %w", efivar.BootOptionName(num), err)
	}
	want, err := x.plan.BootEntry.Option()
	if err != nil {
		return fail(errcode.Internal, "install: verify: %w", err)
	}
	if got := opt.Path(); !strings.EqualFold(got.String(), want.Path().String()) {
		return fail(errcode.Verify, "install: verify: %s is %s, want %s", efivar.BootOptionName(num), got, want.Path())
	}
	if !bytes.Equal(opt.OptionalData, want.OptionalData) {
		return fail(errcode.Verify, "install: verify: %s starts %q, want %q", efivar.BootOptionName(num),
			efivar.DecodeUCS2(opt.OptionalData), x.plan.BootEntry.SecondStage)
	}
	return nil
}

// dataRoundTrip mounts the new data partition, writes, reads back and
// removes a file, and unmounts it. The unmount commits the journal and
// writes everything back; a sync before it cost 0.02 s and added
// nothing, since the read comes from the page cache either way.
// noinit_itable keeps the kernel from starting to zero the inode tables
// the format left for it (mkext4 formats lazily): that is the appliance's
// first mount's to do, in the background, not the install's, whose
// mount took 0.044 s so instead of 0.050 to 0.054 s under emulation.
func dataRoundTrip(dev string) error {
	dir, err := os.MkdirTemp("", "plinth-verify-")
	if err != nil {
		return fail(errcode.Verify, "install: verify: %w", err)
	}
	defer os.Remove(dir)
	if err := unix.Mount(dev, dir, "ext4", 0, "noinit_itable"); err != nil {
		return fail(errcode.Verify, "install: verify: mount data partition %s: %w", dev, err)
	}
	defer unix.Unmount(dir, 0)
	probe := bytes.Repeat([]byte("plinth verify "), 4096)
	p := filepath.Join(dir, ".plinth-verify")
	if err := os.WriteFile(p, probe, 0o600); err != nil {
		return fail(errcode.Verify, "install: verify: write to the data partition: %w", err)
	}
	got, err := os.ReadFile(p)
	os.Remove(p)
	if err != nil || !bytes.Equal(got, probe) {
		return fail(errcode.Verify, "install: verify: data partition read-back differs (%v)", err)
	}
	if err := unix.Unmount(dir, 0); err != nil {
		return fail(errcode.Verify, "install: verify: unmount data partition: %w", err)
	}
	return nil
}
