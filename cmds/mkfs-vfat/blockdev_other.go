//go:build !linux

package main

import (
	"errors"
	"os"
)

// blockDeviceSize is only implemented on Linux; see blockdev_linux.go.
func blockDeviceSize(f *os.File) (size int64, sectorSize int, err error) {
	return 0, 0, errors.New("block devices are supported on Linux only; use an image file")
}
