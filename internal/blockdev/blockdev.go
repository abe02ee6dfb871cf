// Package blockdev is Plinth's one way to a disk: it opens a block device
// or an image file (read-only, or read-write and exclusive), tells its
// size and sector sizes, whether it or any partition of it is in use
// (mounted, swap, held by device-mapper or RAID), makes the kernel re-read
// its partition table and waits for the partition devices, and lists those
// partitions as sysfs shows them. Mem is an in-memory device for tests.
//
// Everything that reads sysfs, /dev or /proc takes their locations as
// Roots, so that tests can pass fake trees. Nothing here knows a partition
// table format: internal/gpt encodes GPTs, internal/gptdev writes them to
// devices with this package.
package blockdev

import (
	"io"
	"path/filepath"
)

// Device is what partitioners and formatters write to and read from: a
// File (block device or image) or a Mem.
type Device interface {
	io.ReaderAt
	io.WriterAt
	Size() int64             // bytes
	SectorSize() int         // logical sector size in bytes
	PhysicalSectorSize() int // bytes; the logical size where unknown
}

var (
	_ Device = (*File)(nil)
	_ Device = (*Mem)(nil)
)

// Roots are where sysfs, devtmpfs and procfs are. The zero value means
// the running system's /sys, /dev and /proc.
type Roots struct {
	Sys, Dev, Proc string
}

func (r Roots) sys() string  { return or(r.Sys, "/sys") }
func (r Roots) dev() string  { return or(r.Dev, "/dev") }
func (r Roots) proc() string { return or(r.Proc, "/proc") }

// Node returns the path of the device node of a kernel device name
// (sysfs's DEVNAME), e.g. "nvme0n1p2".
func (r Roots) Node(name string) string { return filepath.Join(r.dev(), name) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
