package gpt

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNoPartScan means the kernel does not scan partitions on the device
// (a loop device set up without -P, for instance): the table is written,
// but no partition devices will appear.
var ErrNoPartScan = errors.New("kernel does not scan partitions on this device")

// reread makes the kernel's partitions match t (nil: none), then waits
// until sysfs and /dev show them.
func (d *Disk) reread(f *os.File, t *Table) error {
	fd := int(f.Fd())
	var err error
	// EBUSY can be transient: a udev probe of a partition, set off by our
	// own write, keeps it open for a moment.
	for try := 0; try < 5; try++ {
		if err = unix.IoctlSetInt(fd, unix.BLKRRPART, 0); !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	switch {
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("gpt: %s: %w", d.Path, ErrNoPartScan)
	case err != nil && !errors.Is(err, unix.EBUSY):
		return fmt.Errorf("gpt: %s: re-read partition table (BLKRRPART): %w", d.Path, err)
	}
	// BLKRRPART updates sysfs before it returns. If it was refused (EBUSY:
	// something holds a partition open, not a mount since CheckNotInUse
	// passed) or did not produce our partitions (a kernel built without
	// CONFIG_EFI_PARTITION), tell the kernel partition by partition, as
	// partx does.
	w := want(t)
	diff, err := d.kernelDiff(w)
	if err != nil {
		return err
	}
	if diff != "" {
		if err := d.blkpgSync(fd, w); err != nil {
			return err
		}
	}
	return d.waitPartitions(w)
}

// want lists the partitions the kernel should show for t, in sysfs units.
func want(t *Table) map[int][2]uint64 {
	m := map[int][2]uint64{}
	if t == nil {
		return m
	}
	k := uint64(t.SectorSize / 512)
	for _, p := range t.Partitions {
		m[p.Number] = [2]uint64{p.FirstLBA * k, p.Sectors() * k}
	}
	return m
}

// blkpgSync deletes the kernel partitions that differ from t and adds the
// missing ones with BLKPG.
func (d *Disk) blkpgSync(fd int, w map[int][2]uint64) error {
	parts, err := sysfsParts(d.rdev)
	if err != nil {
		return err
	}
	have := map[int]bool{}
	for _, p := range parts[1:] {
		if w[p.number] == [2]uint64{p.start, p.size} {
			have[p.number] = true
			continue
		}
		if err := blkpg(fd, unix.BLKPG_DEL_PARTITION, p.number, 0, 0); err != nil {
			return fmt.Errorf("gpt: %s: remove partition %d from the kernel: %w (in use? reboot to use the new table)", d.Path, p.number, err)
		}
	}
	for n, se := range w {
		if have[n] {
			continue
		}
		if err := blkpg(fd, unix.BLKPG_ADD_PARTITION, n, se[0]*512, se[1]*512); err != nil {
			return fmt.Errorf("gpt: %s: add partition %d to the kernel: %w", d.Path, n, err)
		}
	}
	return nil
}

func blkpg(fd, op, number int, start, length uint64) error {
	p := unix.BlkpgPartition{Start: int64(start), Length: int64(length), Pno: int32(number)}
	arg := unix.BlkpgIoctlArg{
		Op:      int32(op),
		Datalen: int32(unsafe.Sizeof(p)),
		Data:    (*byte)(unsafe.Pointer(&p)),
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.BLKPG, uintptr(unsafe.Pointer(&arg))); e != 0 {
		return e
	}
	return nil
}

// waitPartitions polls until the kernel's partitions of the disk are
// exactly w and each has its /dev node (devtmpfs or udev create them a
// moment later), or SettleTimeout passes.
func (d *Disk) waitPartitions(w map[int][2]uint64) error {
	deadline := time.Now().Add(d.SettleTimeout)
	for {
		diff, err := d.kernelDiff(w)
		if err != nil {
			return err
		}
		if diff == "" {
			if diff, err = d.nodesMissing(); err != nil {
				return err
			}
		}
		if diff == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gpt: %s: partitions not there after %v: %s", d.Path, d.SettleTimeout, diff)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kernelDiff describes the first difference between the kernel's
// partitions (sysfs) and w, "" if there is none.
func (d *Disk) kernelDiff(w map[int][2]uint64) (string, error) {
	parts, err := sysfsParts(d.rdev)
	if err != nil {
		return "", err
	}
	seen := map[int]bool{}
	for _, p := range parts[1:] {
		if se, ok := w[p.number]; !ok || se != [2]uint64{p.start, p.size} {
			return fmt.Sprintf("kernel still has old partition %d", p.number), nil
		}
		seen[p.number] = true
	}
	for _, n := range slices.Sorted(maps.Keys(w)) {
		if !seen[n] {
			return fmt.Sprintf("kernel does not show partition %d", n), nil
		}
	}
	return "", nil
}

// nodesMissing names the first partition without its /dev node.
func (d *Disk) nodesMissing() (string, error) {
	parts, err := sysfsParts(d.rdev)
	if err != nil {
		return "", err
	}
	for _, p := range parts[1:] {
		if devOf("/dev/"+p.name) != p.dev {
			return fmt.Sprintf("/dev/%s missing", p.name), nil
		}
	}
	return "", nil
}
