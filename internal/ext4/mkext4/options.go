package mkext4

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/plinth-os/plinth/internal/guid"
)

// Errors wrapped by Format's rejections, for errors.Is.
var (
	// ErrTooSmall: the size cannot hold a filesystem, or not Source.
	ErrTooSmall = errors.New("size too small")
	// ErrTooLarge: the size exceeds what this formatter lays out.
	ErrTooLarge = errors.New("size too large")
	// ErrInvalid: an option is out of range.
	ErrInvalid = errors.New("invalid option")
	// ErrUnsupported: Source holds something ext4 Format cannot store.
	ErrUnsupported = errors.New("unsupported source entry")
)

// Options configure a new filesystem. The zero value is valid apart from
// UUID, which is then random (like mke2fs) and makes the output differ from
// run to run: set it for reproducible images.
type Options struct {
	// Label is the volume label, at most 16 bytes.
	Label string
	// UUID is the filesystem UUID; all zeros means a random one. The
	// directory hash seed is derived from it.
	UUID guid.GUID
	// BlockSize is 1024, 2048 or 4096; 0 means 4096.
	BlockSize int
	// RootUID and RootGID own the root directory (mke2fs -E root_owner),
	// and every file from Source unless Owner is set.
	RootUID, RootGID uint32
	// ModTime is every timestamp in the filesystem (superblock, inodes);
	// the zero time means the Unix epoch. Source timestamps are ignored so
	// that images are reproducible.
	ModTime time.Time
	// Source, if set, is copied into the root directory: directories,
	// regular files and symbolic links (fs.ReadLink), in sorted order.
	// Permission bits (and setuid, setgid, sticky) come from Source.
	Source fs.FS
	// Owner, if set, gives the owner of each entry of Source (name as in
	// fs.WalkDir); otherwise RootUID:RootGID own everything.
	Owner func(name string, info fs.FileInfo) (uid, gid uint32)
}

const (
	defaultBlockSize = 4096
	maxLabelLen      = 16
)

// blockSize returns the effective block size or an error.
func (o *Options) blockSize() (int, error) {
	switch o.BlockSize {
	case 0:
		return defaultBlockSize, nil
	case 1024, 2048, 4096:
		return o.BlockSize, nil
	}
	return 0, fmt.Errorf("ext4: block size %d not supported: use 1024, 2048 or 4096: %w", o.BlockSize, ErrInvalid)
}

// checkLabel rejects labels that do not fit s_volume_name.
func checkLabel(label string) error {
	if len(label) > maxLabelLen {
		return fmt.Errorf("ext4: label %q is %d bytes, longer than %d: %w", label, len(label), maxLabelLen, ErrInvalid)
	}
	for i := 0; i < len(label); i++ {
		if label[i] == 0 {
			return fmt.Errorf("ext4: label %q contains a NUL byte: %w", label, ErrInvalid)
		}
	}
	return nil
}

// modTime returns the timestamp to store, or an error for times the
// superblock cannot hold (it has 40-bit unsigned seconds).
func (o *Options) modTime() (time.Time, error) {
	if o.ModTime.IsZero() {
		return time.Unix(0, 0), nil
	}
	s := o.ModTime.Unix()
	if s < 0 || s >= 1<<40 {
		return time.Time{}, fmt.Errorf("ext4: ModTime %v outside 1970..year 36812: %w", o.ModTime, ErrInvalid)
	}
	return o.ModTime, nil
}

// uuid returns the UUID to use, generating a random version 4 UUID when
// none was given.
func (o *Options) uuid() (guid.GUID, error) {
	if !o.UUID.IsZero() {
		return o.UUID, nil
	}
	return guid.Random(), nil
}
