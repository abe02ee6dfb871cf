package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/ext4"
)

// target is the opened device or image file.
type target struct {
	path    string
	f       *os.File
	isDev   bool
	created bool  // the image file did not exist before
	size    int64 // filesystem size in bytes
	extend  int64 // image file length to set after formatting, or 0
}

// openTarget opens path for formatting size bytes (-1: all of it) after
// the checks that must pass before anything is written.
func openTarget(path string, size int64, force bool) (*target, error) {
	t := &target{path: path, size: size}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && size < 0:
		return nil, fmt.Errorf("%s does not exist: give SIZE to create an image file, or check that the device is still there", path)
	case errors.Is(err, fs.ErrNotExist):
		return t.create()
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	case fi.Mode()&fs.ModeDevice != 0 && fi.Mode()&fs.ModeCharDevice == 0:
		err = t.openDevice(fi)
	case fi.Mode().IsRegular():
		err = t.openFile(fi)
	default:
		return nil, fmt.Errorf("%s is neither a block device nor a regular file", path)
	}
	if err != nil {
		return nil, err
	}
	if !force {
		if sig, err := detectSignature(t.f); err != nil {
			t.f.Close()
			return nil, fmt.Errorf("%s: read: %w", path, err)
		} else if sig != "" {
			t.f.Close()
			return nil, fmt.Errorf("%s contains %s: use -F to overwrite it", path, sig)
		}
	}
	return t, nil
}

// openDevice checks that the block device is not in use and gets its size.
func (t *target) openDevice(fi fs.FileInfo) error {
	t.isDev = true
	st, ok := fi.Sys().(*unix.Stat_t)
	if !ok {
		if st = statT(t.path); st == nil {
			return fmt.Errorf("%s: cannot read its device number", t.path)
		}
	}
	if err := checkNotInUse(t.path, uint64(st.Rdev)); err != nil {
		return err
	}
	// O_EXCL on a block device fails with EBUSY while the kernel has it
	// claimed: mounted, a partition of it mounted, swap, device-mapper...
	f, err := os.OpenFile(t.path, os.O_RDWR|unix.O_EXCL, 0)
	if err != nil {
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("%s is in use (mounted, swap, or held by another device): %w", t.path, err)
		}
		return fmt.Errorf("open %s (has the device gone away?): %w", t.path, err)
	}
	var devSize uint64
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&devSize))); errno != 0 {
		f.Close()
		return fmt.Errorf("%s: BLKGETSIZE64: %w", t.path, errno)
	}
	if devSize == 0 {
		f.Close()
		return fmt.Errorf("%s has size 0 (has the device gone away, or is it a detached loop device?)", t.path)
	}
	if t.size > int64(devSize) {
		f.Close()
		return fmt.Errorf("%s: SIZE %d bytes exceeds the device's %d bytes", t.path, t.size, devSize)
	}
	if t.size < 0 {
		t.size = int64(devSize)
	}
	t.f = f
	return nil
}

func statT(path string) *unix.Stat_t {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return nil
	}
	return &st
}

// openFile opens an existing image file, refusing one that is the backing
// file of a mounted loop device.
func (t *target) openFile(fi fs.FileInfo) error {
	if err := checkImageNotMounted(t.path); err != nil {
		return err
	}
	f, err := os.OpenFile(t.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", t.path, err)
	}
	switch {
	case t.size < 0:
		t.size = fi.Size()
	case t.size > fi.Size():
		t.extend = t.size
	}
	t.f = f
	return nil
}

// create makes a new image file; close removes it again if formatting fails.
func (t *target) create() (*target, error) {
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", t.path, err)
	}
	t.f, t.created, t.extend = f, true, t.size
	return t, nil
}

// format writes the filesystem and gives an image file its final length.
func (t *target) format(opts ext4.Options) error {
	if err := ext4.Format(t.f, 0, t.size, opts); err != nil {
		return fmt.Errorf("%s: %w", t.path, err)
	}
	if t.extend > 0 {
		if err := t.f.Truncate(t.extend); err != nil {
			return fmt.Errorf("extend %s to %d bytes: %w", t.path, t.extend, err)
		}
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.path, err)
	}
	return nil
}

// close closes the target; after a failed format (ferr) it removes an
// image file this run created.
func (t *target) close(ferr error) error {
	err := t.f.Close()
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
	f, err := os.Open(t.path)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", t.path, err)
	}
	defer f.Close()
	b := make([]byte, 1024)
	if _, err := f.ReadAt(b, 1024); err != nil {
		return fmt.Errorf("read back %s: %w", t.path, err)
	}
	sb, err := ext4.ParseSuperblock(b)
	if err != nil {
		return fmt.Errorf("read back %s: %w", t.path, err)
	}
	u := sb.UUID
	_, err = fmt.Fprintf(w, "%s: ext4, %d blocks of %d bytes, %d inodes, UUID %x-%x-%x-%x-%x, label %q\n",
		t.path, sb.BlocksCount, sb.BlockSize, sb.InodesCount, u[0:4], u[4:6], u[6:8], u[8:10], u[10:], sb.Label)
	return err
}
