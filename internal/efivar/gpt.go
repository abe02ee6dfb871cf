package efivar

import (
	"errors"
	"fmt"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
)

// HardDriveFromDisk reads the GPT of disk (a block device or an image file)
// through internal/blockdev and internal/gpt and returns the HD() node of partition part
// (1-based). A block device has the kernel's logical block size; an image
// file is tried with 512- and then 4096-byte blocks.
func HardDriveFromDisk(disk string, part uint32) (HardDrive, error) {
	if part == 0 {
		return HardDrive{}, fmt.Errorf("efivar: %s: partition numbers start at 1", disk)
	}
	t, err := readGPT(disk)
	if err != nil {
		return HardDrive{}, fmt.Errorf("efivar: %w", err)
	}
	return HardDriveFromTable(t, part)
}

// HardDriveFromTable returns the HD() node of partition part of t.
func HardDriveFromTable(t *gpt.Table, part uint32) (HardDrive, error) {
	if part > uint32(t.Entries) {
		return HardDrive{}, fmt.Errorf("efivar: partition %d not found: the GPT has only %d entries", part, t.Entries)
	}
	p := t.Partition(int(part))
	if p == nil {
		return HardDrive{}, fmt.Errorf("efivar: partition %d not found: GPT entry %d is unused", part, part)
	}
	return GPTHardDrive(part, p.FirstLBA, p.Sectors(), p.GUID), nil
}

func readGPT(disk string) (*gpt.Table, error) {
	var errs []error
	for _, ss := range []int{0, 4096} {
		d, err := blockdev.Open(disk, blockdev.Options{SectorSize: ss})
		if err != nil {
			return nil, err
		}
		t, err := gpt.Read(d, d.Size(), d.SectorSize())
		d.Close()
		if err == nil {
			return t, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", disk, err))
		if d.IsBlockDevice() || !errors.Is(err, gpt.ErrNotFound) {
			break
		}
	}
	return nil, errors.Join(errs...)
}
