// Package answersvol finds the answers volume of an unattended install:
// a FAT filesystem labelled PLINTHCFG on any disk, holding install.yaml
// in its root.
//
// A user prepares it on any machine (Windows, macOS, Linux) by formatting
// a USB stick as FAT and naming it PLINTHCFG, so the package accepts what
// those systems produce: a FAT filesystem in a partition (MBR or GPT; the
// kernel's partition devices are used, not a partition table parser) or
// on the whole disk without a partition table ("superfloppy"). It decides
// by the filesystem itself (the boot sector must parse as FAT), never by
// partition type, and it takes the label from the root directory's label
// entry when there is one, as Windows and mlabel update only or also that
// entry; the boot sector's label is the fallback.
//
// It never mounts and never writes: devices are opened read-only and read
// with internal/vfat, so finding the answers cannot alter any disk, not
// even the access times on the stick.
package answersvol

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/vfat"
)

// Label is the volume label of the answers volume. It is compared without
// regard to case and trailing spaces.
const Label = "PLINTHCFG"

// MaxSize bounds install.yaml: the answers file is a few hundred bytes,
// and a corrupt directory entry must not make Read allocate gigabytes.
const MaxSize = 1 << 20

// ErrNotFound is returned by One when no volume is labelled PLINTHCFG.
var ErrNotFound = errors.New("answersvol: no FAT volume labelled " + Label + " found")

// Volume is one FAT filesystem labelled PLINTHCFG.
type Volume struct {
	Device   string `json:"device"`   // device node, e.g. /dev/sdb1 (or /dev/sdb for a whole disk)
	Disk     string `json:"disk"`     // kernel name of the whole disk, e.g. sdb
	Describe string `json:"describe"` // for people: disk model, size, serial, and which partition
}

// Find lists the FAT filesystems labelled PLINTHCFG on the disks under
// sysRoot (normally "/sys"), reading them through the device nodes in
// devRoot (normally "/dev"). Each disk is tried whole and through each of
// its partitions. Devices that cannot be opened or read (an empty card
// reader or CD drive, a node not created yet) and devices that hold no
// FAT filesystem are skipped. A FAT filesystem whose root directory cannot
// be read while its boot sector says PLINTHCFG is reported in err,
// joined, alongside the volumes found: err alone does not mean nothing
// was found. The result is in disk order, whole disk before its
// partitions.
func Find(sysRoot, devRoot string) ([]Volume, error) {
	disks, err := disk.Scan(sysRoot)
	if err != nil {
		return nil, fmt.Errorf("answersvol: %w", err)
	}
	var vols []Volume
	var errs []error
	for _, d := range disks {
		if !d.HasMedium() {
			continue
		}
		for _, name := range append([]string{d.Name}, d.Partitions...) {
			dev := filepath.Join(devRoot, name)
			label, ok, err := probe(dev)
			if err != nil {
				errs = append(errs, err)
			}
			if !ok || !IsLabel(label) {
				continue
			}
			vols = append(vols, Volume{Device: dev, Disk: d.Name, Describe: describe(d, name)})
		}
	}
	return vols, errors.Join(errs...)
}

// IsLabel reports whether a FAT volume label names the answers volume.
func IsLabel(label string) bool {
	return strings.EqualFold(strings.TrimRight(label, " "), Label)
}

// describe names device name of disk d for people.
func describe(d disk.Disk, name string) string {
	if name == d.Name {
		return d.Describe() + ", whole disk"
	}
	return d.Describe() + ", partition " + name
}

// probe reports the volume label of the FAT filesystem on dev; ok is
// false when dev cannot be read or holds no FAT filesystem.
func probe(dev string) (label string, ok bool, err error) {
	d, err := blockdev.Open(dev, blockdev.Options{})
	if err != nil {
		return "", false, nil
	}
	defer d.Close()
	fsys, err := openFAT(d)
	if err != nil {
		return "", false, nil
	}
	label, err = fsys.Label()
	if err != nil {
		// The root directory holds the authoritative label. When it
		// cannot be read, an error only if this may be the answers
		// volume: an unrelated broken stick must not stop an install.
		if bs := fsys.BootSector(); IsLabel(bs.Label) {
			return "", false, fmt.Errorf("answersvol: %s: the boot sector says %s but the root directory cannot be read: %w", dev, Label, err)
		}
		return "", false, nil
	}
	return label, true, nil
}

// openFAT opens the FAT filesystem that fills d, a device or image.
func openFAT(d *blockdev.File) (*vfat.FS, error) { return vfat.Open(d, 0, d.Size()) }

// Read returns the contents of install.yaml in the root of v. It checks
// again that v holds a FAT filesystem labelled PLINTHCFG, since a stick
// may have been swapped since Find.
func Read(v Volume) ([]byte, error) {
	d, err := blockdev.Open(v.Device, blockdev.Options{})
	if err != nil {
		return nil, fmt.Errorf("answersvol: open %s (%s): %w", v.Device, v.Describe, err)
	}
	defer d.Close()
	fsys, err := openFAT(d)
	if err != nil {
		return nil, fmt.Errorf("answersvol: %s (%s) no longer holds a FAT filesystem: %w", v.Device, v.Describe, err)
	}
	label, err := fsys.Label()
	if err != nil {
		return nil, fmt.Errorf("answersvol: read the volume label of %s: %w", v.Device, err)
	}
	if !IsLabel(label) {
		return nil, fmt.Errorf("answersvol: %s (%s) is now labelled %q, not %s: was the stick swapped?", v.Device, v.Describe, label, Label)
	}
	fi, err := fsys.Stat(answers.FileName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("answersvol: %s volume on %s (%s) has no %s in its root: %w", Label, v.Device, v.Describe, answers.FileName, err)
	case err != nil:
		return nil, fmt.Errorf("answersvol: read %s on %s: %w", answers.FileName, v.Device, err)
	case fi.IsDir():
		return nil, fmt.Errorf("answersvol: %s on %s (%s) is a directory, not the answers file", answers.FileName, v.Device, v.Describe)
	case fi.Size() > MaxSize:
		return nil, fmt.Errorf("answersvol: %s on %s is %d bytes, more than the %d an answers file may have", answers.FileName, v.Device, fi.Size(), MaxSize)
	}
	b, err := fsys.ReadFile(answers.FileName)
	if err != nil {
		return nil, fmt.Errorf("answersvol: read %s on %s: %w", answers.FileName, v.Device, err)
	}
	return b, nil
}

// One returns the only volume of vols. No volume is ErrNotFound; several
// are an error naming each of them, since picking one could install with
// answers the user did not mean (a forgotten stick from an earlier
// install).
func One(vols []Volume) (Volume, error) {
	switch len(vols) {
	case 0:
		return Volume{}, ErrNotFound
	case 1:
		return vols[0], nil
	}
	names := make([]string, len(vols))
	for i, v := range vols {
		names[i] = fmt.Sprintf("%s (%s)", v.Device, v.Describe)
	}
	return Volume{}, fmt.Errorf("answersvol: %d volumes are labelled %s, which one holds the answers is ambiguous: %s; remove or relabel all but one",
		len(vols), Label, strings.Join(names, " and "))
}
