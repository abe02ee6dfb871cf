// Package partfindtest builds fake systems for tests of code that finds
// partitions: a sysfs tree and a /dev directory in temporary directories,
// whose disks are image files partitioned by sgdisk and whose partition
// "devices" are plain files the test may fill (e.g. with mkfs output).
package partfindtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// Part is one GPT partition to create.
type Part struct {
	TypeCode string // sgdisk type code, e.g. "EF00", "8300"
	UUID     string
	Label    string
	SizeMiB  int // 0: the rest of the disk
	// NoDevice leaves the partition out of sysfs, as when the kernel has
	// not (yet) created its device.
	NoDevice bool
}

// Disk is one disk; without Parts it gets no partition table.
type Disk struct {
	Name    string // kernel name, e.g. "vda"
	SizeMiB int    // default 64
	Parts   []Part
}

// System is a fake machine.
type System struct {
	Sys, Dev string
}

// Build creates the disks, partitioning them with sgdisk.
func Build(t testing.TB, disks ...Disk) System {
	t.Helper()
	sgdisk := testdisk.Tool(t, "sgdisk")
	s := System{Sys: t.TempDir(), Dev: t.TempDir()}
	for i, d := range disks {
		size := d.SizeMiB
		if size == 0 {
			size = 64
		}
		img := filepath.Join(s.Dev, d.Name)
		testdisk.Sparse(t, img, int64(size)<<20)
		dir := filepath.Join(s.Sys, "block", d.Name)
		writeFile(t, filepath.Join(dir, "size"), fmt.Sprintf("%d\n", int64(size)<<11))
		major := 240 + i // from the range Linux leaves for local use
		device(t, dir, d.Name, major, 0)
		if len(d.Parts) == 0 {
			continue
		}
		args := []string{"-o"}
		start := int64(2048) // sgdisk's first aligned sector; partitions are whole MiB
		for i, p := range d.Parts {
			n := i + 1
			end := "0"
			if p.SizeMiB > 0 {
				end = fmt.Sprintf("+%dM", p.SizeMiB)
			}
			args = append(args, "-n", fmt.Sprintf("%d:0:%s", n, end), "-t", fmt.Sprintf("%d:%s", n, p.TypeCode))
			if p.UUID != "" {
				args = append(args, "-u", fmt.Sprintf("%d:%s", n, p.UUID))
			}
			if p.Label != "" {
				args = append(args, "-c", fmt.Sprintf("%d:%s", n, p.Label))
			}
			if !p.NoDevice {
				pdir := filepath.Join(dir, PartName(d.Name, n))
				device(t, pdir, PartName(d.Name, n), major, n)
				writeFile(t, filepath.Join(pdir, "partition"), fmt.Sprintf("%d\n", n))
				// What sgdisk makes of -n N:0:+SIZE and -n N:0:0 (to the
				// last usable sector, before the 33-sector backup GPT).
				sectors := int64(p.SizeMiB) << 11
				if p.SizeMiB == 0 {
					sectors = int64(size)<<11 - 34 - start + 1
				}
				writeFile(t, filepath.Join(pdir, "start"), fmt.Sprintf("%d\n", start))
				writeFile(t, filepath.Join(pdir, "size"), fmt.Sprintf("%d\n", sectors))
			}
			start += int64(p.SizeMiB) << 11
		}
		testdisk.Run(t, sgdisk, append(args, img)...)
	}
	return s
}

// device writes the files sysfs has for every block device: its device
// number, and the uevent naming its node.
func device(t testing.TB, dir, name string, major, minor int) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "dev"), fmt.Sprintf("%d:%d\n", major, minor))
	writeFile(t, filepath.Join(dir, "uevent"), fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\n", major, minor, name))
}

// PartName is the kernel's name for partition n of disk: vda1, nvme0n1p1.
func PartName(disk string, n int) string {
	if c := disk[len(disk)-1]; c >= '0' && c <= '9' {
		return fmt.Sprintf("%sp%d", disk, n)
	}
	return fmt.Sprintf("%s%d", disk, n)
}

// WriteSys writes the file rel of the fake sysfs (its directories made
// as needed): how a test changes the machine after Build.
func (s System) WriteSys(t testing.TB, rel, content string) {
	t.Helper()
	writeFile(t, filepath.Join(s.Sys, rel), content)
}

// Device returns the path of a device node in the fake /dev.
func (s System) Device(name string) string { return filepath.Join(s.Dev, name) }

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
