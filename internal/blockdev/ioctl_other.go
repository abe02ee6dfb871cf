//go:build !linux

package blockdev

import (
	"errors"
	"os"
)

// Block devices are supported on Linux only; image files work everywhere.

var errNotLinux = errors.New("block devices are supported on Linux only; use an image file")

func deviceSize(*os.File) (int64, error)       { return 0, errNotLinux }
func logicalSectorSize(*os.File) (int, error)  { return 0, errNotLinux }
func physicalSectorSize(*os.File) (int, error) { return 0, errNotLinux }
func rereadTable(*os.File) error               { return errNotLinux }
func openDirect(string, int) (*os.File, error) { return nil, errNotLinux }
func flushBuffers(*os.File) error              { return errNotLinux }
func blkpg(*os.File, bool, int, int64, int64) error {
	return errNotLinux
}
