package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/mountinfo"
)

// ErrBusy is wrapped by the errors of devices that are in use.
var ErrBusy = errors.New("device in use")

// UseKind is how a device is used.
type UseKind int

// The uses that keep a device from being written.
const (
	Mounted UseKind = iota + 1 // a filesystem on it is mounted
	Swap                       // it is active swap
	Held                       // another block device is built on it (device-mapper, RAID)
)

// Use is one thing that keeps a device busy.
type Use struct {
	// Device is what is used: /dev/<name> of the disk or a partition
	// (of a loop device, for an image file), or a swap file's path.
	Device string
	Kind   UseKind
	// By is the mount point (Mounted) or the holder's kernel name (Held).
	By string
}

func (u Use) String() string {
	switch u.Kind {
	case Mounted:
		return u.Device + " is mounted on " + u.By
	case Swap:
		return u.Device + " is used as swap"
	case Held:
		return u.Device + " is held by " + u.By
	}
	return u.Device + " is in use"
}

// BusyError says why a device may not be written.
type BusyError struct {
	Path string
	Uses []Use // empty: another program opened it exclusively
}

func (e *BusyError) Error() string {
	if len(e.Uses) == 0 {
		return fmt.Sprintf("blockdev: %s: %v (opened exclusively by another program)", e.Path, ErrBusy)
	}
	why := make([]string, len(e.Uses))
	for i, u := range e.Uses {
		why[i] = u.String()
	}
	return fmt.Sprintf("blockdev: %s: %v: %s", e.Path, ErrBusy, strings.Join(why, "; "))
}

// Is makes errors.Is(err, ErrBusy) hold.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// InUse lists what uses the disk with kernel name disk (e.g. "sda") or
// any of its partitions.
func InUse(r Roots, disk string) ([]Use, error) {
	d, err := readSysDisk(filepath.Join(r.sys(), "block", disk))
	if err != nil {
		return nil, err
	}
	return diskUses(r, d)
}

// InUse lists what uses the device: for a block device the disk or any
// partition of it; for an image file the loop devices backed by it (and
// their partitions), and the file itself as a swap file.
func (d *File) InUse(r Roots) ([]Use, error) {
	if d.block {
		sd, err := sysDiskOf(r, d.dev)
		if err != nil {
			return nil, err
		}
		return diskUses(r, sd)
	}
	return imageUses(r, d.f)
}

// checkNotInUse returns a *BusyError naming every user of d.
func (d *File) checkNotInUse(r Roots) error {
	uses, err := d.InUse(r)
	if err != nil {
		return fmt.Errorf("blockdev: check whether %s is in use: %w", d.path, err)
	}
	if len(uses) > 0 {
		return &BusyError{Path: d.path, Uses: uses}
	}
	return nil
}

// diskUses finds mounts (by device number; by the source's node for
// filesystems such as btrfs that report an anonymous device number), swap
// and holders of d and its partitions.
func diskUses(r Roots, d *sysDisk) ([]Use, error) {
	byDev := map[mountinfo.Dev]string{d.dev: d.name}
	names := map[string]bool{d.name: true}
	var uses []Use
	held := func(dir, name string) {
		holders, _ := os.ReadDir(filepath.Join(dir, "holders"))
		for _, h := range holders {
			uses = append(uses, Use{Device: "/dev/" + name, Kind: Held, By: h.Name()})
		}
	}
	held(d.dir, d.name)
	for i, p := range d.parts {
		byDev[p.Dev], names[p.Name] = p.Name, true
		held(d.dirs[i], p.Name)
	}
	mounts, err := mountinfo.Read(r.proc())
	if err != nil {
		return nil, err
	}
	// A path names one of ours by its name, or by its node's number (a
	// symlink such as /dev/mapper/x, or /dev/root).
	byPath := func(path string) (string, bool) {
		if rel, ok := strings.CutPrefix(path, "/dev/"); ok && names[rel] {
			return rel, true
		}
		dev := nodeDev(r, path)
		name, ok := byDev[dev]
		return name, ok && !dev.IsZero()
	}
	for _, m := range mounts {
		name, ok := byDev[m.Dev]
		if !ok {
			name, ok = byPath(m.Source)
		}
		if ok {
			uses = append(uses, Use{Device: "/dev/" + name, Kind: Mounted, By: m.MountPoint})
		}
	}
	swaps, err := readSwaps(r)
	if err != nil {
		return nil, err
	}
	for _, s := range swaps {
		if name, ok := byPath(s); ok {
			uses = append(uses, Use{Device: "/dev/" + name, Kind: Swap})
		}
	}
	return uses, nil
}

// nodeDev returns the device number of the block device node at path, a
// path as the kernel prints it (/dev/...), looked up under r.Dev; zero
// if it is none.
func nodeDev(r Roots, path string) mountinfo.Dev {
	rel, ok := strings.CutPrefix(path, "/dev/")
	if !ok {
		return mountinfo.Dev{}
	}
	var st unix.Stat_t
	if unix.Stat(r.Node(rel), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return mountinfo.Dev{}
	}
	return mountinfo.Dev{Major: unix.Major(uint64(st.Rdev)), Minor: unix.Minor(uint64(st.Rdev))}
}

// readSwaps returns the paths of the active swap areas. A kernel without
// swap has no /proc/swaps: none.
func readSwaps(r Roots) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(r.proc(), "swaps"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("blockdev: %w", err)
	}
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		// "Filename Type Size Used Priority", then one line per area.
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			out = append(out, mountinfo.Unescape(f[0]))
		}
	}
	return out, nil
}

// imageUses finds the loop devices backed by the image file f that are in
// use, and f as an active swap file.
func imageUses(r Roots, f *os.File) ([]Use, error) {
	var self unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &self); err != nil {
		return nil, err
	}
	same := func(path string) bool {
		var st unix.Stat_t
		return unix.Stat(strings.TrimSuffix(path, " (deleted)"), &st) == nil && st.Dev == self.Dev && st.Ino == self.Ino
	}
	loops, _ := filepath.Glob(filepath.Join(r.sys(), "block", "loop*"))
	var uses []Use
	for _, dir := range loops {
		b, err := os.ReadFile(filepath.Join(dir, "loop", "backing_file"))
		if err != nil || !same(strings.TrimSpace(string(b))) {
			continue // detached, or backed by another file
		}
		d, err := readSysDisk(dir)
		if err != nil {
			return nil, err
		}
		u, err := diskUses(r, d)
		if err != nil {
			return nil, err
		}
		uses = append(uses, u...)
	}
	swaps, err := readSwaps(r)
	if err != nil {
		return nil, err
	}
	for _, s := range swaps {
		if same(s) {
			uses = append(uses, Use{Device: s, Kind: Swap})
		}
	}
	return uses, nil
}
