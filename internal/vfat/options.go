package vfat

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// ErrTooSmall is wrapped by errors that a larger size would cure: the size
// cannot hold the requested FAT type, or cannot hold Source.
var ErrTooSmall = errors.New("size too small")

// Options configure a new filesystem. The zero value gives an empty
// filesystem laid out like mkfs.fat would lay it out.
type Options struct {
	// FATType is 12, 16 or 32; 0 chooses like mkfs.fat: FAT32 from
	// 512 MiB up, FAT12 or FAT16 below.
	FATType int
	// Label is the volume label, at most 11 characters, stored upper-case
	// in the boot sector and in the root directory; "" means "NO NAME".
	Label string
	// VolumeID is the volume serial number; 0 derives one from the label,
	// the size and the content, so that builds are reproducible.
	VolumeID uint32
	// SectorsPerCluster is a power of two up to 128; 0 chooses like
	// mkfs.fat.
	SectorsPerCluster int
	// SectorSize is 512, 1024, 2048 or 4096; 0 means 512.
	SectorSize int
	// ModTime is the timestamp of every directory entry; the zero time
	// means 1980-01-01 00:00, the earliest FAT time. The wall-clock fields
	// of its location are stored, as FAT has no time zones.
	ModTime time.Time
	// Source, if set, is copied into the root directory: directories and
	// regular files (symbolic links are followed), in sorted order. A
	// file that implements io.WriterTo (an in-memory file backed by a
	// bytes.Reader, say) is written from its own memory in one call
	// rather than copied through a buffer.
	Source fs.FS
	// HiddenSectors is stored in the boot sector: the number of sectors
	// before the filesystem on its disk, that is the partition's first
	// LBA, or 0 for a filesystem that is not inside a partition.
	HiddenSectors uint32
}

const (
	defaultSectorSize = 512
	// noLabel is what mkfs.fat stores when there is no label; such a
	// filesystem has no label entry in its root directory.
	noLabel = "NO NAME    "
)

// sectorSize returns the effective sector size or an error.
func (o *Options) sectorSize() (int, error) {
	switch o.SectorSize {
	case 0:
		return defaultSectorSize, nil
	case 512, 1024, 2048, 4096:
		return o.SectorSize, nil
	}
	return 0, fmt.Errorf("vfat: sector size %d not supported: use 512, 1024, 2048 or 4096", o.SectorSize)
}

// volumeLabel returns the label as stored on disk: upper-case and padded
// with spaces to 11 bytes. The characters allowed are those mkfs.fat allows.
func volumeLabel(label string) ([11]byte, error) {
	var out [11]byte
	if label == "" {
		label = noLabel
	}
	if len(label) > len(out) {
		return out, fmt.Errorf("vfat: label %q longer than 11 characters", label)
	}
	if label[0] == ' ' {
		return out, fmt.Errorf("vfat: label %q starts with a space", label)
	}
	up := strings.ToUpper(label)
	for i := 0; i < len(up); i++ {
		c := up[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(`"*+,./:;<=>?[\]|`, c) >= 0 {
			return out, fmt.Errorf("vfat: label %q contains %q, which FAT labels cannot hold", label, c)
		}
	}
	copy(out[:], up+strings.Repeat(" ", len(out)-len(up)))
	return out, nil
}

// dosEpoch returns the earliest time a FAT directory entry can hold.
func dosEpoch() time.Time { return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC) }

// modTime returns the timestamp to store, defaulting to the FAT epoch.
func (o *Options) modTime() time.Time {
	if o.ModTime.IsZero() {
		return dosEpoch()
	}
	return o.ModTime
}
