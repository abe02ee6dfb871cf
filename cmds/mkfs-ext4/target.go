package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/ext4"
	"github.com/plinth-os/plinth/internal/ext4/mkext4"
	"github.com/plinth-os/plinth/internal/probe"
)

// target is the opened device or image file.
type target struct {
	path    string
	dev     *blockdev.File
	created bool  // the image file did not exist before
	size    int64 // filesystem size in bytes
	extend  int64 // image file length to set after formatting, or 0
}

// openTarget opens path for formatting size bytes (-1: all of it) after
// the checks that must pass before anything is written: a block device
// is opened exclusively and refused while it or a partition of it is in
// use, an image file while a loop device backed by it is (internal/blockdev).
func openTarget(path string, size int64, force bool) (*target, error) {
	t := &target{path: path, size: size}
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && size < 0:
		return nil, fmt.Errorf("%s does not exist: give SIZE to create an image file, or check that the device is still there", path)
	case errors.Is(err, fs.ErrNotExist):
		err = t.create()
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err == nil {
		t.dev, err = blockdev.Open(path, blockdev.Options{Write: true})
	}
	if err == nil {
		err = t.fit()
	}
	if err == nil && !force && !t.created {
		err = t.checkSignature()
	}
	if err != nil {
		if t.dev != nil {
			t.dev.Close()
		}
		if t.created {
			os.Remove(path)
		}
		return nil, err
	}
	return t, nil
}

// fit settles the filesystem size: all of the target, or SIZE, which a
// device must hold and to which an image file is extended.
func (t *target) fit() error {
	avail := t.dev.Size()
	switch {
	case t.size < 0:
		t.size = avail
	case t.size > avail && t.dev.IsBlockDevice():
		return fmt.Errorf("%s: SIZE %d bytes exceeds the device's %d bytes", t.path, t.size, avail)
	case t.size > avail:
		t.extend = t.size
	}
	return nil
}

// checkSignature refuses a target holding anything internal/probe
// recognises: a filesystem, partition table, RAID, LVM or LUKS volume.
func (t *target) checkSignature() error {
	found, err := probe.Probe(t.dev, t.dev.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", t.path, err)
	}
	if len(found) > 0 {
		what := make([]string, len(found))
		for i, f := range found {
			what[i] = f.Describe()
		}
		return fmt.Errorf("%s contains %s: use -F to overwrite it", t.path, strings.Join(what, " and "))
	}
	return nil
}

// create makes a new, empty image file; close removes it again if
// formatting fails.
func (t *target) create() error {
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", t.path, err)
	}
	t.created = true
	return f.Close()
}

// format writes the filesystem and gives an image file its final length.
func (t *target) format(opts mkext4.Options) error {
	if err := mkext4.Format(t.dev, 0, t.size, opts); err != nil {
		return fmt.Errorf("%s: %w", t.path, err)
	}
	if t.extend > 0 {
		if err := os.Truncate(t.path, t.extend); err != nil {
			return fmt.Errorf("extend %s to %d bytes: %w", t.path, t.extend, err)
		}
	}
	if err := t.dev.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.path, err)
	}
	return nil
}

// close closes the target; after a failed format (ferr) it removes an
// image file this run created.
func (t *target) close(ferr error) error {
	err := t.dev.Close()
	if ferr != nil && t.created {
		os.Remove(t.path)
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", t.path, err)
	}
	return nil
}

// report prints a summary read back from the new superblock.
func (t *target) report(w io.Writer) error {
	d, err := blockdev.Open(t.path, blockdev.Options{})
	if err != nil {
		return fmt.Errorf("reopen %s: %w", t.path, err)
	}
	defer d.Close()
	sb, err := ext4.ReadSuperblock(d, 0)
	if err != nil {
		return fmt.Errorf("read back %s: %w", t.path, err)
	}
	u := sb.UUID
	_, err = fmt.Fprintf(w, "%s: ext4, %d blocks of %d bytes, %d inodes, UUID %x-%x-%x-%x-%x, label %q\n",
		t.path, sb.BlocksCount, sb.BlockSize, sb.InodesCount, u[0:4], u[4:6], u[6:8], u[8:10], u[10:], sb.Label)
	return err
}
