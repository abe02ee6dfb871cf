package mkext4

import (
	"errors"
	"io"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// zeroOS zeroes a range of a file without writing zeros: it punches
// a hole in a regular file (keeping an image sparse) and asks a block
// device to zero out (BLKZEROOUT, which the kernel turns into WRITE ZEROES
// or zero writes of its own). done is false when neither applies.
func zeroOS(w io.WriterAt, off, n int64) (done bool, err error) {
	// Any writer with a descriptor and Stat qualifies, so wrappers that
	// count bytes (the installer's progress) keep the fast path.
	f, ok := w.(interface {
		Fd() uintptr
		Stat() (os.FileInfo, error)
	})
	if !ok {
		return false, nil
	}
	fi, err := f.Stat()
	if err != nil {
		return false, nil
	}
	fd := int(f.Fd())
	switch {
	case fi.Mode().IsRegular():
		err = unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	case fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0:
		r := [2]uint64{uint64(off), uint64(n)}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.BLKZEROOUT, uintptr(unsafe.Pointer(&r)))
		if errno != 0 {
			err = errno
		}
	default:
		return false, nil
	}
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
		return false, nil // not supported here, or unaligned: write zeros instead
	}
	return err == nil, err
}
