package blockdev

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/mountinfo"
)

// Partition is a partition of a disk as the kernel shows it in sysfs.
type Partition struct {
	// Name is the device name the kernel gives the node (uevent DEVNAME,
	// e.g. "nvme0n1p2"): Roots.Node(Name) is its device node.
	Name   string
	Number int // number in the partition table (sysfs "partition")
	Dev    mountinfo.Dev
	Start  int64 // bytes from the start of the disk
	Size   int64 // bytes
}

// sysDisk is a whole disk in sysfs with its partitions.
type sysDisk struct {
	dir   string // sysfs directory
	name  string // DEVNAME
	dev   mountinfo.Dev
	parts []Partition
	dirs  []string // sysfs directory of each partition
}

// Partitions lists the partitions the kernel has of the disk with kernel
// name disk (e.g. "sda"), in sysfs order.
func Partitions(r Roots, disk string) ([]Partition, error) {
	d, err := readSysDisk(filepath.Join(r.sys(), "block", disk))
	if err != nil {
		return nil, err
	}
	return d.parts, nil
}

// PartitionByNumber returns the kernel's partition number n of the disk
// with kernel name disk: the sysfs child whose "partition" file holds n.
func PartitionByNumber(r Roots, disk string, n int) (Partition, error) {
	parts, err := Partitions(r, disk)
	if err != nil {
		return Partition{}, err
	}
	for _, p := range parts {
		if p.Number == n {
			return p, nil
		}
	}
	return Partition{}, fmt.Errorf("blockdev: %s has no partition %d in the kernel", disk, n)
}

// sysDiskOf reads the sysfs entry of the disk with device number dev.
func sysDiskOf(r Roots, dev mountinfo.Dev) (*sysDisk, error) {
	link := filepath.Join(r.sys(), "dev", "block", dev.String())
	dir, err := filepath.EvalSymlinks(link)
	if err != nil {
		return nil, fmt.Errorf("blockdev: sysfs entry of device %s: %w", dev, err)
	}
	return readSysDisk(dir)
}

// readSysDisk reads a disk's directory in sysfs: its "dev" and "uevent",
// and every child directory holding a "partition" file.
func readSysDisk(dir string) (*sysDisk, error) {
	dev, name, err := readDevice(dir)
	if err != nil {
		return nil, err
	}
	d := &sysDisk{dir: dir, name: name, dev: dev}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blockdev: list %s: %w", dir, err)
	}
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		num, err := readSysInt(sub, "partition")
		if err != nil {
			continue // not a partition
		}
		p := Partition{Number: int(num)}
		if p.Dev, p.Name, err = readDevice(sub); err != nil {
			return nil, err
		}
		start, err1 := readSysInt(sub, "start")
		size, err2 := readSysInt(sub, "size")
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("blockdev: %s: no start or size", sub)
		}
		// sysfs counts 512-byte units whatever the sector size.
		p.Start, p.Size = start*512, size*512
		d.parts, d.dirs = append(d.parts, p), append(d.dirs, sub)
	}
	return d, nil
}

// readDevice reads a sysfs block device directory's device number and
// device name.
func readDevice(dir string) (mountinfo.Dev, string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "dev"))
	if err != nil {
		return mountinfo.Dev{}, "", fmt.Errorf("blockdev: %w", err)
	}
	dev, err := mountinfo.ParseDev(string(b))
	if err != nil {
		return mountinfo.Dev{}, "", fmt.Errorf("blockdev: %s/dev: %w", dir, err)
	}
	name, err := devName(dir)
	return dev, name, err
}

// devName reads DEVNAME from a sysfs device's uevent: the name of its
// node under /dev, which the kernel chose.
func devName(dir string) (string, error) {
	p := filepath.Join(dir, "uevent")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("blockdev: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "DEVNAME="); ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("blockdev: %s has no DEVNAME", p)
}

func readSysInt(dir, name string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
