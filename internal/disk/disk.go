// Package disk discovers block devices from sysfs and describes them the
// way a user can recognise them: model, size, serial, transport; never by
// kernel name alone, since sdX names change from boot to boot.
package disk

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Disk is one whole block device.
type Disk struct {
	Name              string   `json:"name"` // kernel name, e.g. nvme0n1
	Path              string   `json:"path"` // /dev/<name>
	Model             string   `json:"model,omitempty"`
	Serial            string   `json:"serial,omitempty"`
	WWN               string   `json:"wwn,omitempty"`
	Size              int64    `json:"size"` // bytes
	LogicalBlockSize  int      `json:"logicalBlockSize"`
	PhysicalBlockSize int      `json:"physicalBlockSize"`
	Rotational        bool     `json:"rotational"`
	Removable         bool     `json:"removable"`
	ReadOnly          bool     `json:"readOnly"`
	Transport         string   `json:"transport"` // nvme, sata, virtio, scsi, usb, cdrom, unknown
	Partitions        []string `json:"partitions,omitempty"`
}

// Scan lists the disks under sysRoot (normally "/sys"), sorted by name.
// Virtual devices (loop, ram, zram, device-mapper) are left out.
func Scan(sysRoot string) ([]Disk, error) {
	blockDir := filepath.Join(sysRoot, "block")
	entries, err := os.ReadDir(blockDir)
	if err != nil {
		return nil, fmt.Errorf("disk: list %s: %w", blockDir, err)
	}
	var disks []Disk
	for _, e := range entries {
		name := e.Name()
		if isVirtual(name) {
			continue
		}
		d, err := read(filepath.Join(blockDir, name), name)
		if err != nil {
			return nil, err
		}
		disks = append(disks, d)
	}
	sort.Slice(disks, func(i, j int) bool { return disks[i].Name < disks[j].Name })
	return disks, nil
}

func isVirtual(name string) bool {
	for _, p := range []string{"loop", "ram", "zram", "dm-", "md", "nbd"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func read(dir, name string) (Disk, error) {
	sectors, err := readInt(filepath.Join(dir, "size"))
	if err != nil {
		return Disk{}, fmt.Errorf("disk: %s: size: %w", name, err)
	}
	d := Disk{
		Name:              name,
		Path:              "/dev/" + name,
		Size:              sectors * 512, // sysfs counts 512-byte units whatever the sector size
		Model:             readString(filepath.Join(dir, "device", "model")),
		Serial:            firstNonEmpty(readString(filepath.Join(dir, "device", "serial")), readString(filepath.Join(dir, "serial")), vpdSerial(filepath.Join(dir, "device", "vpd_pg80"))),
		WWN:               firstNonEmpty(readString(filepath.Join(dir, "wwid")), readString(filepath.Join(dir, "device", "wwid"))),
		LogicalBlockSize:  int(readIntOr(filepath.Join(dir, "queue", "logical_block_size"), 512)),
		PhysicalBlockSize: int(readIntOr(filepath.Join(dir, "queue", "physical_block_size"), 512)),
		Rotational:        readIntOr(filepath.Join(dir, "queue", "rotational"), 0) == 1,
		Removable:         readIntOr(filepath.Join(dir, "removable"), 0) == 1,
		ReadOnly:          readIntOr(filepath.Join(dir, "ro"), 0) == 1,
		Transport:         transport(dir, name),
	}
	if d.Model == "" {
		d.Model = readString(filepath.Join(dir, "device", "name"))
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), name) {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "partition")); err == nil {
				d.Partitions = append(d.Partitions, e.Name())
			}
		}
	}
	return d, nil
}

// transport guesses the bus from the kernel name and the resolved device path.
func transport(dir, name string) string {
	target, _ := filepath.EvalSymlinks(dir)
	switch {
	case strings.HasPrefix(name, "nvme"):
		return "nvme"
	case strings.HasPrefix(name, "vd"):
		return "virtio"
	case strings.HasPrefix(name, "sr"):
		return "cdrom"
	case strings.Contains(target, "/usb"):
		return "usb"
	case strings.Contains(target, "/ata"):
		return "sata"
	case strings.HasPrefix(name, "sd"):
		return "scsi"
	}
	return "unknown"
}

// vpdSerial extracts the unit serial number from a SCSI VPD page 0x80.
func vpdSerial(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4 {
		return ""
	}
	n := int(b[2])<<8 | int(b[3])
	if 4+n > len(b) {
		n = len(b) - 4
	}
	return strings.TrimSpace(string(b[4 : 4+n]))
}

func readString(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", ""))
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

func readIntOr(path string, def int64) int64 {
	v, err := readInt(path)
	if err != nil {
		return def
	}
	return v
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// HumanSize renders a byte count the way disk vendors label disks (decimal units).
func HumanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// HasMedium reports whether d holds a medium, from sysfs alone: an
// empty card reader has size 0, and an empty optical drive the size
// Linux's sr driver gives one whose capacity it cannot read
// (unknownOpticalSize). Such a drive is listed but not opened: there is
// nothing to read, and the open alone costs the drive's medium check,
// 0.1-0.3 s under emulation.
func (d Disk) HasMedium() bool {
	return d.Size > 0 && !(d.Transport == "cdrom" && d.Size == unknownOpticalSize)
}

// unknownOpticalSize is the capacity of an optical drive whose medium
// Linux's sr driver could not measure, as without a disc: sr_probe sets
// 0x1fffff 512-byte sectors, and get_sectorsize leaves it when READ
// CAPACITY fails (drivers/scsi/sr.c). No disc has it: it is not a whole
// number of 2048-byte blocks.
const unknownOpticalSize = 0x1fffff * 512

// Describe names a disk for people: model, size and serial.
func (d Disk) Describe() string {
	model := d.Model
	if model == "" {
		model = "unknown model"
	}
	s := fmt.Sprintf("%s, %s", model, HumanSize(d.Size))
	if d.Serial != "" {
		s += ", serial " + d.Serial
	}
	return s + " (" + d.Transport + ", " + d.Name + ")"
}
