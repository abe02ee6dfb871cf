package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// target is the opened TARGET.
type target struct {
	f          *os.File
	blockDev   bool
	size       int64 // bytes, before any -C sizing
	sectorSize int   // the device's logical sector size, 0 if unknown
}

// openTarget opens (or with -C creates) TARGET for writing.
func openTarget(c *config) (*target, error) {
	if c.create {
		f, err := os.OpenFile(c.target, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s already exists: remove it, or leave out -C to format it in place", c.target)
		}
		if err != nil {
			return nil, err
		}
		return &target{f: f}, nil
	}
	fi, err := os.Stat(c.target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: use -C TARGET SIZE_KIB to create an image file", c.target)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		f, err := os.OpenFile(c.target, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		return &target{f: f, size: fi.Size()}, nil
	case fi.Mode()&fs.ModeDevice != 0 && fi.Mode()&fs.ModeCharDevice == 0:
		// O_EXCL on a block device fails if it is mounted or otherwise
		// claimed, which is what we want to know before wiping it.
		f, err := os.OpenFile(c.target, os.O_RDWR|os.O_EXCL, 0)
		if err != nil {
			return nil, fmt.Errorf("opening %s (is it mounted?): %w", c.target, err)
		}
		size, ss, err := blockDeviceSize(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", c.target, err)
		}
		return &target{f: f, blockDev: true, size: size, sectorSize: ss}, nil
	}
	return nil, fmt.Errorf("%s is neither a regular file nor a block device", c.target)
}

// fsSize returns the filesystem size: SIZE_KIB if given, else what TARGET
// holds past the offset. With -C it also gives the new file its length.
func (t *target) fsSize(c *config, off int64) (int64, error) {
	if c.create {
		size := c.sizeKiB << 10
		if err := t.f.Truncate(off + size); err != nil {
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
	if t.blockDev && size > avail {
		return 0, fmt.Errorf("SIZE_KIB %d is more than the %d KiB the device holds past the offset", c.sizeKiB, avail>>10)
	}
	return size, nil
}
