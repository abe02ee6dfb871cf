package logbundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/vfat"
)

// ErrNoTarget is returned by Targets when no disk can take the bundle.
// Its text is meant for the user as it is.
var ErrNoTarget = errors.New("no FAT-formatted USB stick found: plug one in and choose Export logs again")

// Target is a FAT filesystem the bundle may be written to.
type Target struct {
	Device   string `json:"device"`   // device node, e.g. /dev/sdb1 (or /dev/sdb for a whole disk)
	Disk     string `json:"disk"`     // kernel name of the whole disk, e.g. sdb
	Describe string `json:"describe"` // for people: disk model, size, serial, partition, FAT type, label
}

// maxCopies bounds the -1, -2, ... suffixes Export tries.
const maxCopies = 1000

// Targets lists the FAT filesystems, in partitions or on whole disks
// ("superfloppies"), that the bundle may be written to: those on USB or
// removable disks (not CD drives), leaving out read-only disks and
// partitions and the disks named in exclude (kernel names such as "sdb";
// a /dev path is reduced to its name), which should hold the boot medium
// and the install target. Disks are read through devRoot, read-only;
// those that cannot be opened are skipped. With nothing found, the error
// is ErrNoTarget.
func Targets(sysRoot, devRoot string, exclude []string) ([]Target, error) {
	disks, err := disk.Scan(sysRoot)
	if err != nil {
		return nil, fmt.Errorf("logbundle: %w", err)
	}
	excluded := make([]string, len(exclude))
	for i, e := range exclude {
		excluded[i] = filepath.Base(e)
	}
	var ts []Target
	for _, d := range disks {
		switch {
		case d.Transport != "usb" && !d.Removable, d.Transport == "cdrom":
			continue // a fixed disk may be the one the user cares about
		case d.ReadOnly, d.Size == 0, slices.Contains(excluded, d.Name):
			continue
		}
		for _, name := range append([]string{d.Name}, d.Partitions...) {
			if name != d.Name && readOnly(filepath.Join(sysRoot, "block", d.Name, name, "ro")) {
				continue
			}
			dev := filepath.Join(devRoot, name)
			what, ok := probe(dev)
			if !ok {
				continue
			}
			where := ", whole disk"
			if name != d.Name {
				where = ", partition " + name
			}
			ts = append(ts, Target{Device: dev, Disk: d.Name, Describe: d.Describe() + where + ", " + what})
		}
	}
	if len(ts) == 0 {
		return nil, ErrNoTarget
	}
	return ts, nil
}

func readOnly(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// probe describes the FAT filesystem on dev (`FAT32 "LABEL"`); ok is
// false when dev cannot be read or holds no readable FAT filesystem.
func probe(dev string) (what string, ok bool) {
	d, err := blockdev.Open(dev, blockdev.Options{})
	if err != nil {
		return "", false
	}
	defer d.Close()
	fsys, err := vfat.Open(d, 0, d.Size())
	if err != nil {
		return "", false
	}
	label, err := fsys.Label()
	if err != nil {
		return "", false // its root directory cannot be read: nowhere to write
	}
	what = fmt.Sprintf("FAT%d", fsys.BootSector().FATType)
	if label = strings.TrimRight(label, " "); label != "" && label != "NO NAME" {
		what += fmt.Sprintf(" %q", label)
	}
	return what, true
}

// Mounter mounts a FAT filesystem on a directory and unmounts it.
type Mounter interface {
	Mount(dev, dir string) error
	Unmount(dir string) error
}

// KernelMounter mounts with the kernel's vfat driver.
type KernelMounter struct{}

// Mount mounts dev on dir without access-time updates, set-uid, device
// nodes or execution.
func (KernelMounter) Mount(dev, dir string) error {
	return unix.Mount(dev, dir, "vfat", unix.MS_NOATIME|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}

// Unmount unmounts dir.
func (KernelMounter) Unmount(dir string) error { return unix.Unmount(dir, 0) }

// Export writes bundle to the root of the filesystem of t as name (a base
// name such as Name returns), or as name-1, name-2, ... before the
// extension if the name is taken: it never overwrites a file. It mounts
// t on a new directory under os.TempDir with m, fsyncs the file and the
// directory, and always unmounts, even after an error. It returns the
// file's path on the stick, e.g. "/plinth-logs-20261122-051500.tar.gz".
func Export(t Target, name string, bundle []byte, m Mounter) (path string, err error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("logbundle: %q is not a file name", name)
	}
	dir, err := os.MkdirTemp("", "plinth-export-")
	if err != nil {
		return "", fmt.Errorf("logbundle: mount point: %w", err)
	}
	defer os.Remove(dir) // runs after the unmount; fails, harmlessly, if that failed
	if err := m.Mount(t.Device, dir); err != nil {
		return "", fmt.Errorf("logbundle: mount %s (%s) as FAT: %w: try another stick, or reformat this one as FAT32", t.Device, t.Describe, err)
	}
	defer func() {
		if uerr := m.Unmount(dir); uerr != nil {
			path = ""
			err = errors.Join(err, fmt.Errorf("logbundle: unmount %s (%s): %w: do not unplug it yet, the file may not be complete", t.Device, t.Describe, uerr))
		}
	}()
	written, err := writeNew(dir, name, bundle)
	if err != nil {
		return "", fmt.Errorf("logbundle: on %s (%s): %w", t.Device, t.Describe, err)
	}
	return "/" + written, nil
}

// writeNew writes data to a file in dir named name or, if that exists,
// a numbered variant of it; it syncs the file and dir and returns the
// name used. A partly written file is removed.
func writeNew(dir, name string, data []byte) (string, error) {
	base, ext := splitExt(name)
	for i := range maxCopies {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		p := filepath.Join(dir, n)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create %s: %w", n, bare(err))
		}
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(p)
			return "", fmt.Errorf("write %s: %w: is the stick full or write-protected?", n, bare(err))
		}
		if err := syncDir(dir); err != nil {
			return "", fmt.Errorf("sync the directory holding %s: %w", n, bare(err))
		}
		return n, nil
	}
	return "", fmt.Errorf("%s and %d numbered copies exist already: delete some", name, maxCopies-1)
}

// bare strips the *fs.PathError from err: its path is the temporary
// mount point, which means nothing to the user, who is told the name.
func bare(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// splitExt splits "x.tar.gz" into "x" and ".tar.gz", "x.log" into "x"
// and ".log".
func splitExt(name string) (base, ext string) {
	if b, ok := strings.CutSuffix(name, ".tar.gz"); ok && b != "" {
		return b, ".tar.gz"
	}
	ext = filepath.Ext(name)
	if ext == name {
		return name, ""
	}
	return strings.TrimSuffix(name, ext), ext
}
