// Package gptdev writes GUID partition tables to disks, block devices or
// image files: Commit validates the table, opens the disk exclusively and
// refuses it while it or a partition of it is in use, zaps and writes the
// table (internal/gpt's crash-safe order), and has the kernel re-read the
// partitions and waits for their devices (internal/blockdev).
//
// Reading a table needs only internal/gpt and internal/blockdev: the
// installed appliance, which must link no code that partitions disks,
// reads partition tables that way and never imports this package.
package gptdev

import (
	"fmt"
	"time"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
)

// Disk is a GPT target, open for reading. Writing happens only in
// Commit, which opens it again exclusively.
type Disk struct {
	*blockdev.File
	// Roots locate sysfs, /dev and /proc for the in-use check and the
	// wait for partition devices.
	Roots blockdev.Roots
	// SettleTimeout bounds how long Commit waits for the kernel to show
	// the new partitions (Open sets 10 s).
	SettleTimeout time.Duration
}

// Open opens path for reading (see blockdev.Options for sectorSize).
func Open(path string, sectorSize int, r blockdev.Roots) (*Disk, error) {
	f, err := blockdev.Open(path, blockdev.Options{SectorSize: sectorSize, Roots: r})
	if err != nil {
		return nil, err
	}
	return &Disk{File: f, Roots: r, SettleTimeout: 10 * time.Second}, nil
}

// Read reads the disk's GPT (see gpt.Read).
func (d *Disk) Read() (*gpt.Table, error) {
	t, err := gpt.Read(d, d.Size(), d.SectorSize())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path(), err)
	}
	return t, nil
}

// Verify checks the disk's GPT (see gpt.Verify).
func (d *Disk) Verify() error { return gpt.Verify(d, d.Size(), d.SectorSize()) }

// New returns an empty table sized for the disk (see gpt.New).
func (d *Disk) New() (*gpt.Table, error) { return gpt.New(d.Size(), d.SectorSize()) }

// CheckNotInUse returns an error wrapping blockdev.ErrBusy that names
// every user of the disk or its partitions.
func (d *Disk) CheckNotInUse() error {
	uses, err := d.InUse(d.Roots)
	if err != nil {
		return fmt.Errorf("gptdev: %s: %w", d.Path(), err)
	}
	if len(uses) > 0 {
		return &blockdev.BusyError{Path: d.Path(), Uses: uses}
	}
	return nil
}

// Commit writes to the disk: first zeroes its MBR and GPT areas if zap is
// set (see gpt.Zap), then t if it is not nil (see gpt.Table.Write). t is
// validated before anything is written. The disk is opened exclusively
// and refused while in use (blockdev.ErrBusy); for a block device the
// kernel is then told the new partitions, and Commit returns once their
// devices are there (blockdev.ErrNoPartScan if the device has none, as a
// loop device without partition scanning).
func (d *Disk) Commit(t *gpt.Table, zap bool) error {
	if t != nil {
		if err := t.Validate(); err != nil {
			return err
		}
		if t.SectorSize != d.SectorSize() || t.Sectors != uint64(d.Size())/uint64(d.SectorSize()) {
			return fmt.Errorf("gptdev: %s: table is for %d %d-byte sectors, disk has %d bytes in %d-byte sectors",
				d.Path(), t.Sectors, t.SectorSize, d.Size(), d.SectorSize())
		}
	}
	w, err := blockdev.Open(d.Path(), blockdev.Options{Write: true, SectorSize: d.SectorSize(), Roots: d.Roots})
	if err != nil {
		return err
	}
	defer w.Close()
	if w.Size() != d.Size() || w.Dev() != d.Dev() || w.IsBlockDevice() != d.IsBlockDevice() {
		return fmt.Errorf("gptdev: %s changed since it was opened (size %d, now %d): device replaced or vanished", d.Path(), d.Size(), w.Size())
	}
	if err := write(w, t, zap); err != nil {
		return fmt.Errorf("gptdev: %s: %w", d.Path(), err)
	}
	if !w.IsBlockDevice() {
		return nil
	}
	return w.Reread(d.Roots, extents(t), d.SettleTimeout)
}

func write(w *blockdev.File, t *gpt.Table, zap bool) error {
	if zap {
		if err := gpt.Zap(w, w.Size(), w.SectorSize()); err != nil {
			return err
		}
	}
	if t != nil {
		if err := t.Write(w); err != nil {
			return err
		}
	}
	if err := w.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// extents lists the partitions the kernel is to show for t (nil: none).
func extents(t *gpt.Table) []blockdev.Extent {
	if t == nil {
		return nil
	}
	ss := int64(t.SectorSize)
	var out []blockdev.Extent
	for _, p := range t.Partitions {
		out = append(out, blockdev.Extent{Number: p.Number, Start: int64(p.FirstLBA) * ss, Size: int64(p.Sectors()) * ss})
	}
	return out
}
