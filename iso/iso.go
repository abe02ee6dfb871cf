package iso

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// Names of the two files Write always puts in the ISO root.
const (
	// EFIBootImagePath is where Options.EFIBootImage is stored.
	EFIBootImagePath = "/efiboot.img"
	// BootCatalogPath is where the El Torito boot catalog is visible
	// (xorriso's default name with Rock Ridge).
	BootCatalogPath = "/boot.catalog"
)

const (
	maxVolumeID = 32
	// maxDirDepth is ISO 9660's limit including the root; deeper trees
	// would need Rock Ridge relocation, which we do not support.
	maxDirDepth = 8
	maxNameLen  = 255
	// Joliet names are limited to 64 UCS-2 characters.
	maxJolietNameLen = 64
	// maxFileSize is the most one extent holds (ECMA-119 9.1.4: 32 bits);
	// files of several extents are not written.
	maxFileSize = math.MaxUint32
)

// Options describes the image Write produces.
type Options struct {
	// VolumeID is the ISO volume label, e.g. "PLINTH": 1..32 d-characters
	// (A-Z, 0-9, _).
	VolumeID string
	// EFIBootImage is a FAT image holding \EFI\BOOT\BOOTX64.EFI. It is
	// stored as /efiboot.img and referenced by El Torito (platform 0xEF, no
	// emulation) and by the GPT ESP partition. Its length must be a
	// non-zero multiple of 512.
	EFIBootImage []byte
	// Files are extra files by absolute ISO path, e.g.
	// "/plinth/manifest.json"; parent directories are created as needed.
	Files map[string][]byte
	// ModTime is used for every timestamp (SOURCE_DATE_EPOCH). The zero
	// value means the Unix epoch. It must lie in 1970..2155.
	ModTime time.Time
	// Joliet adds a Joliet (UCS-2) directory tree for Windows.
	Joliet bool
}

// Write writes the hybrid ISO to path atomically (temporary file in the
// same directory, then rename) and returns its size in bytes.
func Write(path string, opts Options) (int64, error) {
	if err := opts.validate(); err != nil {
		return 0, err
	}
	img, err := newImage(&opts)
	if err != nil {
		return 0, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("iso: create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()

	if err := img.writeTo(tmp); err != nil {
		return 0, fmt.Errorf("iso: %w", err)
	}
	size := int64(img.total) * blockSize
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("iso: sync %s: %w", tmpName, err)
	}
	// CreateTemp makes the file 0600; an image is not secret.
	if err := tmp.Chmod(0o644); err != nil {
		return 0, fmt.Errorf("iso: chmod %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("iso: close %s: %w", tmpName, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return 0, fmt.Errorf("iso: rename to %s: %w", path, err)
	}
	renamed = true
	return size, nil
}

func (o *Options) modTime() time.Time {
	if o.ModTime.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return o.ModTime.UTC()
}

func (o *Options) validate() error {
	if err := validateVolumeID(o.VolumeID); err != nil {
		return err
	}
	n := len(o.EFIBootImage)
	if n == 0 || n%512 != 0 || uint64(n) > maxFileSize {
		return fmt.Errorf("iso: EFI boot image is %d bytes, want a non-zero multiple of 512 up to %d", n, uint64(maxFileSize)/512*512)
	}
	// A FAT boot sector ends in 55 AA; catching a wrong blob (e.g. the
	// bare BOOTX64.EFI) here beats an image that drops into the EFI shell.
	if o.EFIBootImage[510] != 0x55 || o.EFIBootImage[511] != 0xAA {
		return errors.New("iso: EFI boot image has no 0x55AA boot sector signature; want a FAT file system image")
	}
	if y := o.modTime().Year(); y < 1970 || y > 2155 {
		return fmt.Errorf("iso: ModTime year %d outside 1970..2155", y)
	}
	dirs := map[string]bool{}
	for p, b := range o.Files {
		if err := validateFilePath(p, o.Joliet); err != nil {
			return err
		}
		if uint64(len(b)) > maxFileSize {
			return fmt.Errorf("iso: file %q is %d bytes; an ISO 9660 extent holds at most %d", p, len(b), uint64(maxFileSize))
		}
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for p := range o.Files {
		if dirs[p] {
			return fmt.Errorf("iso: file %q is also a parent directory of another file", p)
		}
	}
	for _, p := range []string{EFIBootImagePath, BootCatalogPath} {
		if dirs[p] {
			return fmt.Errorf("iso: %q is reserved and cannot be a directory", p)
		}
	}
	return nil
}

func validateVolumeID(id string) error {
	if id == "" || len(id) > maxVolumeID {
		return fmt.Errorf("iso: volume ID %q must be 1..%d characters", id, maxVolumeID)
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("iso: volume ID %q: %q is not a d-character (A-Z, 0-9, _)", id, c)
		}
	}
	return nil
}

func validateFilePath(p string, joliet bool) error {
	if !strings.HasPrefix(p, "/") || p == "/" || path.Clean(p) != p {
		return fmt.Errorf("iso: file path %q must be absolute and clean, e.g. /dir/name", p)
	}
	if p == EFIBootImagePath || p == BootCatalogPath {
		return fmt.Errorf("iso: file path %q is reserved", p)
	}
	parts := strings.Split(p[1:], "/")
	// parts[:len-1] are directories below the root (depth 1).
	if len(parts) > maxDirDepth {
		return fmt.Errorf("iso: file path %q nests directories deeper than %d levels", p, maxDirDepth)
	}
	for _, c := range parts {
		switch {
		case !utf8.ValidString(c):
			return fmt.Errorf("iso: file path %q is not valid UTF-8", p)
		case len(c) > maxNameLen:
			return fmt.Errorf("iso: file path %q: name longer than %d bytes", p, maxNameLen)
		case strings.ContainsRune(c, 0):
			return fmt.Errorf("iso: file path %q contains NUL", p)
		case joliet && utf8.RuneCountInString(c) > maxJolietNameLen:
			return fmt.Errorf("iso: file path %q: name longer than Joliet's %d characters", p, maxJolietNameLen)
		case joliet && strings.ContainsFunc(c, func(r rune) bool { return r > 0xFFFF }):
			return fmt.Errorf("iso: file path %q: Joliet (UCS-2) cannot hold characters outside the BMP", p)
		}
	}
	return nil
}
