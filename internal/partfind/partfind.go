// Package partfind finds partitions by what the GPT says about them
// (unique GUID, type, name) rather than by kernel name: sdX and nvmeXnY
// change between boots, a PARTUUID does not. It lists the disks in sysfs,
// reads each GPT with internal/gpt, and pairs every GPT entry with the
// kernel's partition device through sysfs (<disk>/<part>/partition holds
// the entry's number, <disk>/<part>/uevent the name of its node).
package partfind

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
)

// Partition is one GPT partition that has a kernel device.
type Partition struct {
	Disk     string    `json:"disk"`     // kernel name of the whole disk, e.g. nvme0n1
	Name     string    `json:"name"`     // kernel name of the partition, e.g. nvme0n1p2
	Device   string    `json:"device"`   // device node, <devRoot>/<Name>
	Number   int       `json:"number"`   // GPT entry number (1-based)
	PartUUID guid.GUID `json:"partUUID"` // unique partition GUID
	Type     guid.GUID `json:"type"`     // partition type GUID
	Label    string    `json:"label"`    // GPT partition name (PARTLABEL)
}

// IsESP reports whether p is of the EFI system partition type.
func (p Partition) IsESP() bool { return p.Type == gpt.TypeESP }

// Scan reads the GPT of every disk under sysRoot/block (virtual devices
// left out, as internal/disk does) through the device nodes in devRoot.
// Disks without a GPT, and disks that cannot be opened, are skipped, and
// so are disks on which the kernel shows no partition (sysfs): only
// partitions with a device are found, and such a disk (a blank disk, a
// CD drive, whose partitions Linux never lists) need not be opened.
// Opening one is not free: an empty CD drive's open checks for a disc,
// 0.1-0.2 s under emulation. Other per-disk failures are returned joined in err
// alongside the partitions that were found; err alone does not mean
// nothing was found. The result is sorted by disk name and number.
func Scan(sysRoot, devRoot string) ([]Partition, error) {
	disks, err := disk.Scan(sysRoot)
	if err != nil {
		return nil, fmt.Errorf("partfind: %w", err)
	}
	var parts []Partition
	var errs []error
	for _, d := range disks {
		if !d.HasMedium() || len(d.Partitions) == 0 {
			continue
		}
		ps, err := scanDisk(sysRoot, devRoot, d.Name)
		if err != nil {
			errs = append(errs, err)
		}
		parts = append(parts, ps...)
	}
	sort.Slice(parts, func(i, j int) bool {
		if parts[i].Disk != parts[j].Disk {
			return parts[i].Disk < parts[j].Disk
		}
		return parts[i].Number < parts[j].Number
	})
	return parts, errors.Join(errs...)
}

func scanDisk(sysRoot, devRoot, name string) ([]Partition, error) {
	r := blockdev.Roots{Sys: sysRoot, Dev: devRoot}
	t, err := readTable(r.Node(name))
	if t == nil || err != nil {
		return nil, err
	}
	kernel, err := blockdev.Partitions(r, name)
	if err != nil {
		return nil, fmt.Errorf("partfind: %s: %w", name, err)
	}
	byNumber := map[int]blockdev.Partition{}
	for _, k := range kernel {
		byNumber[k.Number] = k
	}
	var parts []Partition
	for _, p := range t.Partitions {
		k, ok := byNumber[p.Number]
		if !ok {
			continue // the kernel has no device for it (yet): it cannot be mounted
		}
		parts = append(parts, Partition{
			Disk:     name,
			Name:     k.Name,
			Device:   r.Node(k.Name),
			Number:   p.Number,
			PartUUID: p.GUID,
			Type:     p.Type,
			Label:    p.Name,
		})
	}
	return parts, nil
}

// errUnreadable marks a disk that could not be opened at all.
var errUnreadable = errors.New("cannot open")

// ReadGPT reads the GPT of a block device or an image file. A block
// device has the kernel's logical block size; an image file is tried
// with 512- and then 4096-byte blocks.
func ReadGPT(path string) (*gpt.Table, error) {
	var errs []error
	for _, ss := range []int{0, 4096} {
		d, err := blockdev.Open(path, blockdev.Options{SectorSize: ss})
		if err != nil {
			return nil, fmt.Errorf("partfind: %w: %w", errUnreadable, err)
		}
		t, err := gpt.Read(d, d.Size(), d.SectorSize())
		d.Close()
		if err == nil {
			return t, nil
		}
		errs = append(errs, fmt.Errorf("partfind: %s: %w", path, err))
		if d.IsBlockDevice() || !errors.Is(err, gpt.ErrNotFound) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// readTable is ReadGPT for scanning: nil without an error when the disk
// cannot be opened (no medium, no node yet, not readable) or holds no
// GPT: nothing to find there.
func readTable(path string) (*gpt.Table, error) {
	t, err := ReadGPT(path)
	if errors.Is(err, errUnreadable) || errors.Is(err, gpt.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

// OnDisk finds the partition with PARTUUID uuid on the disk with kernel
// name disk: the disk's GPT gives the partition's number, and sysfs the
// kernel device with that number and the name of its node. (Linux 6.1
// shows no PARTUUID in sysfs, and partition node names differ between
// drivers: sda2, nvme0n1p2, mmcblk0p2.)
func OnDisk(sysRoot, devRoot, disk string, uuid guid.GUID) (Partition, error) {
	parts, err := scanDisk(sysRoot, devRoot, disk)
	if err != nil {
		return Partition{}, err
	}
	found := ByPartUUID(parts, uuid)
	if len(found) != 1 {
		return Partition{}, fmt.Errorf("partfind: %s has no partition with PARTUUID %s that the kernel shows", disk, uuid)
	}
	return found[0], nil
}

// ByPartUUID returns the partitions whose unique GUID is uuid.
// More than one means cloned disks.
func ByPartUUID(parts []Partition, uuid guid.GUID) []Partition {
	return filter(parts, func(p Partition) bool { return p.PartUUID == uuid })
}

// ByLabel returns the partitions whose GPT name is exactly label.
func ByLabel(parts []Partition, label string) []Partition {
	return filter(parts, func(p Partition) bool { return p.Label == label })
}

// ESPs returns the EFI system partitions.
func ESPs(parts []Partition) []Partition { return filter(parts, Partition.IsESP) }

func filter(parts []Partition, keep func(Partition) bool) []Partition {
	var out []Partition
	for _, p := range parts {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// Waiter rescans until a predicate is satisfied, because disks appear
// asynchronously at boot: NVMe and SATA within a second or two, USB
// storage several seconds after init starts.
type Waiter struct {
	SysRoot, DevRoot string
	Interval         time.Duration // between scans; 0 means 500 ms
}

// Until scans until done(parts) is true or ctx ends, and returns the last
// scan. When ctx ends first, err wraps ctx's error (and the last scan's).
func (w Waiter) Until(ctx context.Context, done func([]Partition) bool) ([]Partition, error) {
	iv := w.Interval
	if iv <= 0 {
		iv = 500 * time.Millisecond
	}
	for {
		parts, err := Scan(w.SysRoot, w.DevRoot)
		if done(parts) {
			return parts, err
		}
		select {
		case <-ctx.Done():
			return parts, errors.Join(ctx.Err(), err)
		case <-time.After(iv):
		}
	}
}
