package gpt

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Disk is a GPT target, an image file or a block device, open for
// reading. Writing happens only in Commit, which opens it again
// exclusively.
type Disk struct {
	Path               string
	Size               int64 // bytes
	SectorSize         int   // logical sector size
	PhysicalSectorSize int   // as the kernel reports it; SectorSize for files
	BlockDevice        bool
	// SettleTimeout bounds how long Commit waits for the kernel to show the
	// new partitions (default 10 s).
	SettleTimeout time.Duration

	f    *os.File
	rdev uint64
}

// Open opens path for reading. For a block device the sector size comes
// from the kernel (BLKSSZGET) and a non-zero sectorSize must agree with
// it; for an image file sectorSize is used (0 means 512).
func Open(path string, sectorSize int) (*Disk, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gpt: open %s: %w", path, err)
	}
	d, err := describe(f, path, sectorSize)
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

func describe(f *os.File, path string, sectorSize int) (*Disk, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("gpt: stat %s: %w", path, err)
	}
	d := &Disk{Path: path, f: f, SettleTimeout: 10 * time.Second}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if sectorSize == 0 {
			sectorSize = 512
		}
		if err := checkSectorSize(sectorSize); err != nil {
			return nil, err
		}
		d.Size, d.SectorSize, d.PhysicalSectorSize = st.Size, sectorSize, sectorSize
	case unix.S_IFBLK:
		d.BlockDevice, d.rdev = true, st.Rdev
		fd := int(f.Fd())
		var err error
		if d.Size, err = blockSize(fd); err != nil {
			return nil, fmt.Errorf("gpt: %s: size (BLKGETSIZE64): %w", path, err)
		}
		if d.SectorSize, err = unix.IoctlGetInt(fd, unix.BLKSSZGET); err != nil {
			return nil, fmt.Errorf("gpt: %s: sector size (BLKSSZGET): %w", path, err)
		}
		pbs, err := unix.IoctlGetUint32(fd, unix.BLKPBSZGET)
		if err != nil {
			return nil, fmt.Errorf("gpt: %s: physical sector size (BLKPBSZGET): %w", path, err)
		}
		d.PhysicalSectorSize = int(pbs)
		if sectorSize != 0 && sectorSize != d.SectorSize {
			return nil, fmt.Errorf("gpt: %s has %d-byte sectors, not %d", path, d.SectorSize, sectorSize)
		}
		if d.Size == 0 {
			return nil, fmt.Errorf("gpt: %s: device has size 0 (no medium, or a detached loop device)", path)
		}
	default:
		return nil, fmt.Errorf("gpt: %s is neither a regular file nor a block device", path)
	}
	return d, nil
}

func blockSize(fd int) (int64, error) {
	var n uint64
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, e
	}
	return int64(n), nil
}

// ReadAt reads from the disk.
func (d *Disk) ReadAt(b []byte, off int64) (int, error) { return d.f.ReadAt(b, off) }

// Close closes the disk.
func (d *Disk) Close() error { return d.f.Close() }

// Read reads the disk's GPT (see Read).
func (d *Disk) Read() (*Table, error) {
	t, err := Read(d, d.Size, d.SectorSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path, err)
	}
	return t, nil
}

// Verify checks the disk's GPT (see Verify).
func (d *Disk) Verify() error { return Verify(d, d.Size, d.SectorSize) }

// New returns an empty table sized for the disk (see New).
func (d *Disk) New() (*Table, error) { return New(d.Size, d.SectorSize) }

// Commit writes to the disk: first zeroes its MBR and GPT areas if zap is
// set (see Zap), then t if it is not nil (see Table.Write). t is validated
// before anything is written. A block device is opened exclusively, and
// refused if it or one of its partitions is mounted, used as swap or held
// by another device (ErrBusy); afterwards the kernel is told to re-read
// the table and Commit waits until the partition devices are there
// (ErrNoPartScan if the device does not support partitions, as a loop
// device without partition scanning).
func (d *Disk) Commit(t *Table, zap bool) error {
	if t != nil {
		if err := t.Validate(); err != nil {
			return err
		}
		if t.SectorSize != d.SectorSize || t.Sectors != uint64(d.Size)/uint64(d.SectorSize) {
			return fmt.Errorf("gpt: %s: table is for %d %d-byte sectors, disk has %d bytes in %d-byte sectors",
				d.Path, t.Sectors, t.SectorSize, d.Size, d.SectorSize)
		}
	}
	w, err := d.openWrite()
	if err != nil {
		return err
	}
	defer w.Close()
	if zap {
		if err := Zap(w, d.Size, d.SectorSize); err != nil {
			return fmt.Errorf("%s: %w", d.Path, err)
		}
	}
	if t != nil {
		if err := t.Write(w); err != nil {
			return fmt.Errorf("%s: %w", d.Path, err)
		}
	}
	if err := w.Sync(); err != nil {
		return fmt.Errorf("gpt: sync %s: %w", d.Path, err)
	}
	if !d.BlockDevice {
		return nil
	}
	return d.reread(w, t)
}

// openWrite reopens the disk for writing and checks it is still the same
// device with the same size, and not in use.
func (d *Disk) openWrite() (*os.File, error) {
	flags := os.O_RDWR
	if d.BlockDevice {
		// O_EXCL on a block device is an exclusive claim: it fails while
		// the disk or any partition is mounted, and keeps anyone from
		// mounting one while we write.
		flags |= unix.O_EXCL
	}
	f, err := os.OpenFile(d.Path, flags, 0)
	if err != nil {
		if errors.Is(err, unix.EBUSY) {
			if berr := d.CheckNotInUse(); berr != nil {
				return nil, berr
			}
			return nil, fmt.Errorf("gpt: %s: %w (opened exclusively by another program)", d.Path, ErrBusy)
		}
		return nil, fmt.Errorf("gpt: open %s for writing: %w", d.Path, err)
	}
	now, err := describe(f, d.Path, 0)
	if err == nil && (now.Size != d.Size || now.rdev != d.rdev || now.BlockDevice != d.BlockDevice) {
		err = fmt.Errorf("gpt: %s changed since it was opened (size %d, now %d): device replaced or vanished", d.Path, d.Size, now.Size)
	}
	if err == nil && d.BlockDevice {
		err = d.CheckNotInUse()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
