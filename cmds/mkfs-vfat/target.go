package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/plinth-os/plinth/internal/blockdev"
)

// target is the opened TARGET.
type target struct {
	dev        *blockdev.File
	size       int64 // bytes, before any -C sizing
	sectorSize int   // a block device's logical sector size, 0 for a file
}

// openTarget opens (or with -C creates) TARGET for writing. A block
// device is opened exclusively, and refused while it or a partition of it
// is in use; an image file while a loop device backed by it is in use.
func openTarget(c *config) (*target, error) {
	if c.create {
		f, err := os.OpenFile(c.target, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s already exists: remove it, or leave out -C to format it in place", c.target)
		}
		if err != nil {
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(c.target); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: use -C TARGET SIZE_KIB to create an image file", c.target)
	}
	d, err := blockdev.Open(c.target, blockdev.Options{Write: true})
	if err != nil {
		if c.create {
			os.Remove(c.target)
		}
		return nil, err
	}
	t := &target{dev: d, size: d.Size()}
	if d.IsBlockDevice() {
		t.sectorSize = d.SectorSize()
	}
	return t, nil
}

// fsSize returns the filesystem size: SIZE_KIB if given, else what TARGET
// holds past the offset. With -C it also gives the new file its length.
func (t *target) fsSize(c *config, off int64) (int64, error) {
	if c.create {
		size := c.sizeKiB << 10
		if err := os.Truncate(c.target, off+size); err != nil {
			return 0, err
		}
		return size, nil
	}
	avail := t.size - off
	if avail <= 0 {
		return 0, fmt.Errorf("the offset (%d bytes) is beyond the end of TARGET (%d bytes)", off, t.size)
	}
	if c.sizeKiB == 0 {
		return avail, nil
	}
	size := c.sizeKiB << 10
	if t.dev.IsBlockDevice() && size > avail {
		return 0, fmt.Errorf("SIZE_KIB %d is more than the %d KiB the device holds past the offset", c.sizeKiB, avail>>10)
	}
	return size, nil
}
