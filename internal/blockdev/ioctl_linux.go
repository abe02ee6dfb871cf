package blockdev

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// These are the tree's only callers of the block device size ioctls.

func deviceSize(f *os.File) (int64, error) {
	var n uint64
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, e
	}
	return int64(n), nil
}

func logicalSectorSize(f *os.File) (int, error) { return unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET) }

func physicalSectorSize(f *os.File) (int, error) {
	n, err := unix.IoctlGetUint32(int(f.Fd()), unix.BLKPBSZGET)
	return int(n), err
}

// openDirect opens path past the page cache (O_DIRECT); mode is
// os.O_RDONLY or os.O_WRONLY.
func openDirect(path string, mode int) (*os.File, error) {
	return os.OpenFile(path, mode|unix.O_DIRECT, 0)
}

// flushBuffers writes back and drops the device's cached pages (BLKFLSBUF).
func flushBuffers(f *os.File) error { return unix.IoctlSetInt(int(f.Fd()), unix.BLKFLSBUF, 0) }

// rereadTable asks the kernel to scan the partition table (BLKRRPART).
func rereadTable(f *os.File) error { return unix.IoctlSetInt(int(f.Fd()), unix.BLKRRPART, 0) }

// blkpg adds or deletes one kernel partition; start and length in bytes.
func blkpg(f *os.File, add bool, number int, start, length int64) error {
	op := unix.BLKPG_DEL_PARTITION
	if add {
		op = unix.BLKPG_ADD_PARTITION
	}
	p := unix.BlkpgPartition{Start: start, Length: length, Pno: int32(number)}
	arg := unix.BlkpgIoctlArg{
		Op:      int32(op),
		Datalen: int32(unsafe.Sizeof(p)),
		Data:    (*byte)(unsafe.Pointer(&p)),
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKPG, uintptr(unsafe.Pointer(&arg))); e != 0 {
		return e
	}
	return nil
}
