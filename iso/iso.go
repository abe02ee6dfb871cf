package iso

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
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
	isoBlock    = 2048
	maxVolumeID = 32
	// maxDirDepth is ISO 9660's limit including the root; deeper trees
	// would need Rock Ridge relocation, which we do not support.
	maxDirDepth = 8
	maxNameLen  = 255
	// Joliet names are limited to 64 UCS-2 characters.
	maxJolietNameLen = 64
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

	if err := buildISO9660(tmp, opts); err != nil {
		return 0, err
	}
	size, err := makeHybrid(tmp, int64(len(opts.EFIBootImage)))
	if err != nil {
		return 0, err
	}
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
	if n == 0 || n%512 != 0 {
		return fmt.Errorf("iso: EFI boot image is %d bytes, want a non-zero multiple of 512", n)
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
	for p := range o.Files {
		if err := validateFilePath(p, o.Joliet); err != nil {
			return err
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

// buildISO9660 lets go-diskfs write the ISO 9660/Rock Ridge/El Torito
// image into f from a workspace directory we populate ourselves, then
// normalizes what go-diskfs leaves non-deterministic.
func buildISO9660(f *os.File, opts Options) error {
	ws, err := os.MkdirTemp("", "plinth-iso-")
	if err != nil {
		return fmt.Errorf("iso: create workspace: %w", err)
	}
	// Finalize removes the workspace itself on success only.
	defer os.RemoveAll(ws)

	if err := populate(ws, opts); err != nil {
		return err
	}
	fsys, err := iso9660.Create(file.New(f, false), 0, 0, isoBlock, ws)
	if err != nil {
		return fmt.Errorf("iso: go-diskfs create: %w", err)
	}
	err = fsys.Finalize(iso9660.FinalizeOptions{
		RockRidge:        true,
		Joliet:           opts.Joliet,
		VolumeIdentifier: opts.VolumeID,
		ElTorito: &iso9660.ElTorito{
			BootCatalog: BootCatalogPath,
			Entries: []*iso9660.ElToritoEntry{{
				Platform:  iso9660.EFI,
				Emulation: iso9660.NoEmulation,
				BootFile:  EFIBootImagePath,
			}},
		},
	})
	if err != nil {
		return fmt.Errorf("iso: go-diskfs finalize: %w", err)
	}
	if err := normalize(f, opts.modTime()); err != nil {
		return err
	}
	return nil
}

// populate writes the image's tree into the workspace ws with fixed
// permissions, since go-diskfs copies modes into Rock Ridge PX entries.
func populate(ws string, opts Options) error {
	files := make(map[string][]byte, len(opts.Files)+1)
	for p, b := range opts.Files {
		files[p] = b
	}
	files[EFIBootImagePath] = opts.EFIBootImage

	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	dirs := []string{ws}
	for _, p := range paths {
		full := filepath.Join(ws, filepath.FromSlash(p))
		for d := filepath.Dir(full); d != ws; d = filepath.Dir(d) {
			dirs = append(dirs, d)
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("iso: workspace mkdir for %s: %w", p, err)
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return fmt.Errorf("iso: workspace write %s: %w", p, err)
		}
		if err := os.Chmod(full, 0o644); err != nil {
			return fmt.Errorf("iso: workspace chmod %s: %w", p, err)
		}
	}
	for _, d := range dirs {
		if err := os.Chmod(d, 0o755); err != nil {
			return fmt.Errorf("iso: workspace chmod %s: %w", d, err)
		}
	}
	return nil
}
