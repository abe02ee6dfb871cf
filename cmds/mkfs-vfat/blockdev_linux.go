package main

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blockDeviceSize returns a block device's size in bytes and its logical
// sector size.
func blockDeviceSize(f *os.File) (size int64, sectorSize int, err error) {
	var n uint64
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); errno != 0 {
		return 0, 0, fmt.Errorf("reading the device size (BLKGETSIZE64): %w", errno)
	}
	ss, err := unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the sector size (BLKSSZGET): %w", err)
	}
	return int64(n), ss, nil
}
