package blockdev

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/mountinfo"
)

// Options say how Open opens a device.
type Options struct {
	// Write opens for reading and writing, and only what nothing else
	// uses (else an error wrapping ErrBusy that names the user): a block
	// device exclusively (O_EXCL, an exclusive claim that also keeps
	// anyone from mounting it while it is open), an image file only when
	// no loop device backed by it is in use and it is no swap file.
	Write bool
	// SectorSize is the logical sector size of an image file (0: 512).
	// For a block device the kernel's counts; a non-zero SectorSize must
	// agree with it.
	SectorSize int
	// Roots locate sysfs, /dev and /proc for the in-use check.
	Roots Roots
}

// File is an open block device or image file.
type File struct {
	path               string
	f                  *os.File
	size               int64
	sectorSize         int
	physicalSectorSize int
	block              bool
	dev                mountinfo.Dev // of a block device
}

// Open opens path, a block device or a regular file, as o says.
func Open(path string, o Options) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("blockdev: %w", err)
	}
	isBlock := fi.Mode()&fs.ModeDevice != 0 && fi.Mode()&fs.ModeCharDevice == 0
	if !isBlock && !fi.Mode().IsRegular() {
		return nil, notDevice(path)
	}
	flags := os.O_RDONLY
	if o.Write {
		flags = os.O_RDWR
		if isBlock {
			flags |= unix.O_EXCL
		}
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		if isBlock && errors.Is(err, unix.EBUSY) {
			return nil, busy(o.Roots, path)
		}
		return nil, fmt.Errorf("blockdev: %w", err) // names path
	}
	d, err := describe(f, path, o.SectorSize)
	if err == nil && d.block != isBlock {
		err = fmt.Errorf("blockdev: %s changed while it was opened", path)
	}
	if err == nil && o.Write {
		err = d.checkNotInUse(o.Roots)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// busy explains why an exclusive open failed with EBUSY.
func busy(r Roots, path string) error {
	d, err := Open(path, Options{})
	if err != nil {
		return fmt.Errorf("blockdev: %s: %w", path, ErrBusy)
	}
	defer d.Close()
	if err := d.checkNotInUse(r); err != nil {
		return err
	}
	return &BusyError{Path: path} // claimed by a program: nothing to name
}

func describe(f *os.File, path string, sectorSize int) (*File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("blockdev: stat %s: %w", path, err)
	}
	d := &File{path: path, f: f}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if sectorSize == 0 {
			sectorSize = 512
		}
		if sectorSize < 512 || sectorSize > 4096 || sectorSize&(sectorSize-1) != 0 {
			return nil, fmt.Errorf("blockdev: %s: sector size %d: want 512, 1024, 2048 or 4096", path, sectorSize)
		}
		d.size, d.sectorSize, d.physicalSectorSize = st.Size, sectorSize, sectorSize
	case unix.S_IFBLK:
		d.block = true
		d.dev = mountinfo.Dev{Major: unix.Major(uint64(st.Rdev)), Minor: unix.Minor(uint64(st.Rdev))}
		if err := d.querySizes(); err != nil {
			return nil, err
		}
		if sectorSize != 0 && sectorSize != d.sectorSize {
			return nil, fmt.Errorf("blockdev: %s has %d-byte sectors, not %d", path, d.sectorSize, sectorSize)
		}
		if d.size == 0 {
			return nil, fmt.Errorf("blockdev: %s has size 0: no medium, or the device has gone away (a detached loop device?)", path)
		}
	default:
		return nil, notDevice(path)
	}
	return d, nil
}

func notDevice(path string) error {
	return fmt.Errorf("blockdev: %s is neither a regular file nor a block device", path)
}

// querySizes asks the kernel for a block device's size and sector sizes.
func (d *File) querySizes() error {
	var err error
	if d.size, err = deviceSize(d.f); err != nil {
		return fmt.Errorf("blockdev: %s: size (BLKGETSIZE64): %w", d.path, err)
	}
	if d.sectorSize, err = logicalSectorSize(d.f); err != nil {
		return fmt.Errorf("blockdev: %s: sector size (BLKSSZGET): %w", d.path, err)
	}
	if d.physicalSectorSize, err = physicalSectorSize(d.f); err != nil {
		return fmt.Errorf("blockdev: %s: physical sector size (BLKPBSZGET): %w", d.path, err)
	}
	return nil
}

// Path is the path Open was given.
func (d *File) Path() string { return d.path }

// Size is the device's size, or the image file's when it was opened.
func (d *File) Size() int64 { return d.size }

// SectorSize is the logical sector size.
func (d *File) SectorSize() int { return d.sectorSize }

// PhysicalSectorSize is the kernel's physical sector size of a block
// device, the logical one of an image file.
func (d *File) PhysicalSectorSize() int { return d.physicalSectorSize }

// IsBlockDevice tells a block device from an image file.
func (d *File) IsBlockDevice() bool { return d.block }

// Dev is a block device's device number; zero for an image file.
func (d *File) Dev() mountinfo.Dev { return d.dev }

// ReadAt reads from the device.
func (d *File) ReadAt(p []byte, off int64) (int, error) { return d.f.ReadAt(p, off) }

// WriteAt writes to the device (opened with Options.Write).
func (d *File) WriteAt(p []byte, off int64) (int, error) { return d.f.WriteAt(p, off) }

// Sync flushes what was written to the device.
func (d *File) Sync() error { return d.f.Sync() }

// Fd and Stat are those of the open file. Formatters use them for fast
// paths: finding an image's holes, and zeroing without writing zeros.
func (d *File) Fd() uintptr { return d.f.Fd() }

// Stat returns the open file's FileInfo.
func (d *File) Stat() (os.FileInfo, error) { return d.f.Stat() }

// DropCache drops the device's clean cached pages (BLKFLSBUF, after
// writing back the dirty ones), so that what is read next comes from
// the disk and not from memory. Image files have no such cache to drop:
// that is not an error.
func (d *File) DropCache() error {
	if !d.block {
		return nil
	}
	err := flushBuffers(d.f)
	if err != nil && !errors.Is(err, unix.ENOTTY) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("blockdev: flush the cache of %s: %w", d.path, err)
	}
	return nil
}

// Close closes the device.
func (d *File) Close() error { return d.f.Close() }
