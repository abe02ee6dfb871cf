package updatestick

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/esp"
)

// Label is the volume label of an update stick, exactly.
const Label = "PLINTHUPD"

// Mounter mounts and unmounts filesystems; it is esp's, so the appliance
// passes the same one to both.
type Mounter = esp.Mounter

// Options say where to look.
type Options struct {
	SysRoot, DevRoot string // "": /sys and /dev
	// BootDisk is the kernel name of the disk the appliance booted from
	// (the ESP's disk, esp.Result.Partition.Disk). Required: it and its
	// partitions are never opened.
	BootDisk string
	Mounter  Mounter // nil: esp.SysMounter
}

// Volume is one FAT filesystem labelled PLINTHUPD.
type Volume struct {
	Device   string `json:"device"`   // device node, e.g. /dev/sdb1 (/dev/sdb for a whole disk)
	Disk     string `json:"disk"`     // kernel name of the whole disk, e.g. sdb
	Serial   string `json:"serial"`   // FAT volume serial number, "1234-ABCD", as Windows shows it
	Describe string `json:"describe"` // for people: the disk's model, size and serial, which partition
	// ID tells this insertion of this stick from others: the device's
	// name and number, the disk's sequence number (diskseq, which Linux
	// increments for every new disk and medium) and the FAT serial.
	ID string `json:"id"`
}

// errNoBootDisk is returned when Options.BootDisk is empty.
var errNoBootDisk = errors.New("updatestick: the boot disk is not known, and its partitions must not be taken for update sticks")

func (o Options) sysRoot() string { return or(o.SysRoot, "/sys") }
func (o Options) devRoot() string { return or(o.DevRoot, "/dev") }

func (o Options) mounter() Mounter {
	if o.Mounter == nil {
		return esp.SysMounter{}
	}
	return o.Mounter
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Find lists the update sticks present now, in disk order, a whole disk
// before its partitions. Devices that cannot be opened or read (an empty
// card reader, a node not created yet) and devices that are not update
// sticks are skipped. What looks meant as an update stick but is not one
// (a lowercase label, exFAT, an unreadable root directory) is reported in
// err, joined, alongside the volumes found: err alone does not mean
// nothing was found.
func Find(o Options) ([]Volume, error) {
	s, err := o.scan()
	return s.vols, err
}

// scanResult is what one scan found.
type scanResult struct {
	vols []Volume
	// unreadable are the device nodes listed in sysfs that could not be
	// read: whether they hold a stick is unknown.
	unreadable map[string]bool
}

func (o Options) scan() (scanResult, error) {
	if o.BootDisk == "" {
		return scanResult{}, errNoBootDisk
	}
	disks, err := disk.Scan(o.sysRoot())
	if err != nil {
		return scanResult{}, fmt.Errorf("updatestick: %w", err)
	}
	s := scanResult{unreadable: map[string]bool{}}
	var errs []error
	for _, d := range disks {
		if d.Name == o.BootDisk || !d.HasMedium() {
			continue // never the boot disk
		}
		errs = append(errs, o.scanDisk(d, &s))
	}
	return s, errors.Join(errs...)
}

// scanDisk adds what disk d holds to s.
func (o Options) scanDisk(d disk.Disk, s *scanResult) error {
	diskDir := filepath.Join(o.sysRoot(), "block", d.Name)
	seq := readSys(diskDir, "diskseq")
	var errs []error
	for _, name := range append([]string{d.Name}, d.Partitions...) {
		dev := filepath.Join(o.devRoot(), strings.ReplaceAll(name, "!", "/")) // cciss!c0d0 is /dev/cciss/c0d0
		what := describe(d, name)
		r, err := inspect(dev, what)
		errs = append(errs, err)
		switch {
		case !r.readable:
			s.unreadable[dev] = true
		case r.match:
			sysDir := diskDir
			if name != d.Name {
				sysDir = filepath.Join(diskDir, name)
			}
			s.vols = append(s.vols, Volume{
				Device: dev, Disk: d.Name, Serial: r.serial, Describe: what,
				ID: fmt.Sprintf("%s %s seq %s vol %s", name, readSys(sysDir, "dev"), seq, r.serial),
			})
		}
	}
	return errors.Join(errs...)
}

// readSys returns the trimmed contents of a sysfs attribute, or "-" when
// it is missing (diskseq is new in Linux 5.15).
func readSys(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "-"
	}
	return strings.TrimSpace(string(b))
}

// describe names the device name of disk d for people.
func describe(d disk.Disk, name string) string {
	if name == d.Name {
		return d.Describe() + ", whole disk"
	}
	return d.Describe() + ", partition " + name
}

// IsLabel reports whether a FAT volume label names an update stick: it
// is Label, but for the spaces FAT pads labels with.
func IsLabel(label string) bool { return strings.TrimRight(label, " ") == Label }

// probeResult is what inspect learned of a device.
type probeResult struct {
	readable bool   // it could be opened and its first sector read
	match    bool   // it holds a FAT filesystem labelled Label
	serial   string // that filesystem's serial number, as Windows shows it
}

// inspect reads the device node dev, which what describes for people.
// The error explains a volume that looks meant as an update stick but
// is not one.
func inspect(dev, what string) (probeResult, error) {
	d, err := blockdev.Open(dev, blockdev.Options{})
	if err != nil {
		return probeResult{}, nil
	}
	defer d.Close()
	first := make([]byte, 512)
	if _, err := d.ReadAt(first, 0); err != nil {
		return probeResult{}, nil
	}
	r := probeResult{readable: true}
	if label, ok := exfatLabel(d, first); ok && strings.EqualFold(strings.TrimRight(label, " "), Label) {
		return r, fmt.Errorf("updatestick: %s (%s) is an exFAT filesystem labelled %s, which the appliance cannot read: format the stick as FAT32", dev, what, label)
	}
	label, serial, ok, err := fatLabel(d, d.Size(), first)
	switch {
	case !ok:
		return r, nil
	case err != nil && IsLabel(label):
		return r, fmt.Errorf("updatestick: %s (%s): the boot sector says %s but the root directory cannot be read: %w", dev, what, Label, err)
	case err != nil:
		return r, nil // an unrelated broken stick is not ours to report
	case IsLabel(label):
		r.match, r.serial = true, fmt.Sprintf("%04X-%04X", serial>>16, serial&0xFFFF)
	case strings.EqualFold(strings.TrimRight(label, " "), Label):
		return r, fmt.Errorf("updatestick: %s (%s) is labelled %q: an update stick must be labelled %s, in capital letters", dev, what, label, Label)
	}
	return r, nil
}
