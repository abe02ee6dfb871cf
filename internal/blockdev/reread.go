package blockdev

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/mountinfo"
)

// ErrNoPartScan means the kernel does not scan partitions on the device
// (a loop device set up without partition scanning, for instance): the
// table is on the disk, but no partition devices will appear.
var ErrNoPartScan = errors.New("kernel does not scan partitions on this device")

// Extent is where the kernel is to see partition Number, in bytes from
// the start of the disk.
type Extent struct {
	Number      int
	Start, Size int64
}

// Reread makes the kernel's partitions of the block device d exactly want
// (BLKRRPART, and where that is refused or leaves the kernel with other
// partitions, BLKPG partition by partition, as partx does), then waits up
// to timeout until sysfs shows them and each has its node in r.Dev.
func (d *File) Reread(r Roots, want []Extent, timeout time.Duration) error {
	if !d.block {
		return fmt.Errorf("blockdev: %s is not a block device: no partitions to re-read", d.path)
	}
	var err error
	// EBUSY can be transient: a udev probe of a partition, set off by the
	// write that came before, keeps it open for a moment.
	for try := 0; try < 5; try++ {
		if err = rereadTable(d.f); !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	switch {
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("blockdev: %s: %w", d.path, ErrNoPartScan)
	case err != nil && !errors.Is(err, unix.EBUSY):
		return fmt.Errorf("blockdev: %s: re-read partition table (BLKRRPART): %w", d.path, err)
	}
	// BLKRRPART updates sysfs before it returns. If it was refused (EBUSY:
	// something holds a partition open) or did not produce the partitions
	// (a kernel without support for the table's format), tell the kernel
	// one by one.
	sd, err := sysDiskOf(r, d.dev)
	if err != nil {
		return err
	}
	if kernelDiff(sd.parts, want) != "" {
		if err := d.blkpgSync(sd.parts, want); err != nil {
			return err
		}
	}
	return waitPartitions(r, d.dev, want, timeout)
}

// blkpgSync deletes the kernel partitions that differ from want and adds
// the missing ones.
func (d *File) blkpgSync(have []Partition, want []Extent) error {
	kept := map[int]bool{}
	for _, p := range have {
		if slices.Contains(want, Extent{p.Number, p.Start, p.Size}) {
			kept[p.Number] = true
			continue
		}
		if err := blkpg(d.f, false, p.Number, 0, 0); err != nil {
			return fmt.Errorf("blockdev: %s: remove partition %d from the kernel: %w (in use? reboot to use the new table)", d.path, p.Number, err)
		}
	}
	for _, e := range want {
		if kept[e.Number] {
			continue
		}
		if err := blkpg(d.f, true, e.Number, e.Start, e.Size); err != nil {
			return fmt.Errorf("blockdev: %s: add partition %d to the kernel: %w", d.path, e.Number, err)
		}
	}
	return nil
}

// waitPartitions polls until the kernel's partitions of the disk with
// device number dev are exactly want and each has its node in r.Dev
// (devtmpfs or udev create it a moment after sysfs shows the partition),
// or timeout passes.
func waitPartitions(r Roots, dev mountinfo.Dev, want []Extent, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		diff, err := partitionsDiff(r, dev, want)
		if err != nil || diff == "" {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("blockdev: device %s: partitions not there after %v: %s", dev, timeout, diff)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// partitionsDiff describes the first difference between the kernel's
// partitions and want, or the first partition without its node; "" if
// there is none.
func partitionsDiff(r Roots, dev mountinfo.Dev, want []Extent) (string, error) {
	d, err := sysDiskOf(r, dev)
	if err != nil {
		return "", err
	}
	if diff := kernelDiff(d.parts, want); diff != "" {
		return diff, nil
	}
	for _, p := range d.parts {
		if !nodeIs(r.Node(p.Name), p) {
			return r.Node(p.Name) + " missing", nil
		}
	}
	return "", nil
}

// kernelDiff describes the first difference between have and want.
func kernelDiff(have []Partition, want []Extent) string {
	seen := map[int]bool{}
	for _, p := range have {
		if !slices.Contains(want, Extent{p.Number, p.Start, p.Size}) {
			return fmt.Sprintf("kernel still has old partition %d", p.Number)
		}
		seen[p.Number] = true
	}
	for _, e := range want {
		if !seen[e.Number] {
			return fmt.Sprintf("kernel does not show partition %d", e.Number)
		}
	}
	return ""
}

// nodeIs reports whether the node at path is there and, if it is a block
// device, is p's (a stale node of an older partition is not).
func nodeIs(path string, p Partition) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return true // test trees stand in a plain file for the node
	}
	return unix.Major(uint64(st.Rdev)) == p.Dev.Major && unix.Minor(uint64(st.Rdev)) == p.Dev.Minor
}
