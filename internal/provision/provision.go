// Package provision lays an installed Plinth appliance onto a disk: a GPT
// with an EFI system partition (FAT32: the runtime UKI, its removable-media
// fallback copy, the installed config) and a data partition (ext4) of a
// chosen size or filling the rest of the disk. mkiso uses it to write
// ready-to-boot disk images and the installer to write real disks, so
// both produce the same layout.
package provision

import (
	"fmt"
	"io"
	"strings"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/ext4/mkext4"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/vfat"
)

// Layout is where everything goes on one disk.
type Layout struct {
	DiskSize   int64
	SectorSize int
	DiskGUID   guid.GUID
	ESP, Data  gpt.Partition
}

// Offset and Size of a partition in bytes.
func (l Layout) Offset(p gpt.Partition) int64 { return int64(p.FirstLBA) * int64(l.SectorSize) }

// Size of a partition in bytes.
func (l Layout) Size(p gpt.Partition) int64 { return int64(p.Sectors()) * int64(l.SectorSize) }

// GUIDs derives the disk and partition GUIDs from seed, so that the same
// inputs give the same image. Installers pass a seed that includes a
// random part or the machine's identity, so two disks never share GUIDs.
func GUIDs(seed []byte) (disk, esp, data guid.GUID) {
	derive := func(what string) guid.GUID { return guid.Derive("plinth provision "+what, seed) }
	return derive("disk"), derive("esp"), derive("data")
}

// Plan computes the layout for a disk of diskSize bytes. dataSize 0
// makes the data partition fill the rest of the disk; otherwise it is
// dataSize rounded up to a 1 MiB multiple, right after the ESP, and the
// space after it stays free. A data size below disklayout.MinDataSize or one that
// does not fit is refused with a *DataSizeError.
func Plan(diskSize int64, sectorSize int, dataSize int64, seed []byte) (Layout, error) {
	if dataSize < 0 {
		return Layout{}, fmt.Errorf("provision: negative data partition size %d", dataSize)
	}
	t, dataFirst, restLast, err := geometry(diskSize, sectorSize)
	if err != nil {
		return Layout{}, err
	}
	ss := uint64(sectorSize)
	dataLast := restLast
	if dataSize > 0 {
		maxSize := int64(restLast-dataFirst+1) * int64(ss)
		// Compare before rounding: maxSize is a MiB multiple, so this is
		// the same test, and rounding a huge dataSize cannot overflow.
		if dataSize > maxSize {
			return Layout{}, fmt.Errorf("provision: %w", &DataSizeError{Size: dataSize, DiskSize: diskSize, Max: maxSize})
		}
		rounded := roundMiB(dataSize)
		if rounded < disklayout.MinDataSize {
			return Layout{}, fmt.Errorf("provision: %w", &DataSizeError{Size: dataSize, DiskSize: diskSize, Max: maxSize})
		}
		dataLast = dataFirst + uint64(rounded)/ss - 1
	}
	diskGUID, espGUID, dataGUID := GUIDs(seed)
	first := t.Alignment // 1 MiB
	esp := gpt.Partition{Number: 1, Type: gpt.TypeESP, GUID: espGUID, FirstLBA: first, LastLBA: first + disklayout.ESPSize/ss - 1, Name: disklayout.ESPName}
	data := gpt.Partition{Number: 2, Type: gpt.TypeLinuxFS, GUID: dataGUID, FirstLBA: dataFirst, LastLBA: dataLast, Name: disklayout.DataName}
	return Layout{DiskSize: diskSize, SectorSize: sectorSize, DiskGUID: diskGUID, ESP: esp, Data: data}, nil
}

// MaxDataSize is the largest data partition that fits on a disk of
// diskSize bytes: the size Plan gives for dataSize 0.
func MaxDataSize(diskSize int64, sectorSize int) (int64, error) {
	_, first, last, err := geometry(diskSize, sectorSize)
	if err != nil {
		return 0, err
	}
	return int64(last-first+1) * int64(sectorSize), nil
}

// geometry returns an empty table for the disk and the sectors the data
// partition may use: from right after the ESP to the last 1 MiB
// boundary before the backup GPT.
func geometry(diskSize int64, sectorSize int) (t *gpt.Table, dataFirst, restLast uint64, err error) {
	if diskSize < disklayout.MinDiskSize {
		return nil, 0, 0, fmt.Errorf("provision: disk of %d MiB is too small: Plinth needs at least %d MiB", diskSize>>20, disklayout.MinDiskSize>>20)
	}
	t, err = gpt.New(diskSize, sectorSize)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("provision: %w", err)
	}
	dataFirst = t.Alignment + disklayout.ESPSize/uint64(sectorSize)
	// End the data partition on a 1 MiB boundary too: tidy for resizes and 4Kn copies.
	restLast = (t.LastUsable+1)/t.Alignment*t.Alignment - 1
	return t, dataFirst, restLast, nil
}

func roundMiB(n int64) int64 { return (n + 1<<20 - 1) &^ (1<<20 - 1) }

// DataSizeError is Plan's refusal of a data partition size: below
// disklayout.MinDataSize, or larger than Max on this disk.
type DataSizeError struct {
	Size     int64 // as requested
	DiskSize int64
	Max      int64 // what fits on this disk (MaxDataSize)
}

func (e *DataSizeError) Error() string {
	if e.Size < disklayout.MinDataSize {
		return fmt.Sprintf("data partition of %s is too small: at least %s", humanSize(e.Size), humanSize(disklayout.MinDataSize))
	}
	return fmt.Sprintf("data partition of %s does not fit on a disk of %s: at most %s (%d MiB); choose a smaller size or the rest of the disk",
		humanSize(e.Size), humanSize(e.DiskSize), humanSize(e.Max), e.Max>>20)
}

// humanSize renders a byte count in binary units, rounded down to a
// tenth ("7.4 GiB", "512 MiB"), so that an "at most" figure is never
// more than is there.
func humanSize(n int64) string {
	units := []struct {
		name  string
		shift uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}}
	for _, u := range units {
		unit := int64(1) << u.shift
		if n < unit {
			continue
		}
		whole, rest := n/unit, n%unit
		if rest == 0 {
			return fmt.Sprintf("%d %s", whole, u.name)
		}
		// rest*10 cannot overflow: rest < 2^40.
		return fmt.Sprintf("%d.%d %s", whole, rest*10/unit, u.name)
	}
	return fmt.Sprintf("%d B", n)
}

// Content is what goes onto the ESP.
type Content struct {
	RuntimeUKI []byte
	LoaderPath string // on the ESP, e.g. "EFI/plinth/plinth.efi"
	// Shim and MokManager, when set, make the ESP boot the UKI through
	// shim (bootchain.Chain).
	Shim, MokManager []byte
	// Files are more files for the ESP by path (the slots' state).
	Files   map[string][]byte
	Config  *appconfig.Config
	ModTime time.Time
	// WriteTable writes the partition table; nil writes it to w. The
	// installer passes gptdev.Disk.Commit so the kernel re-reads the table.
	WriteTable func(*gpt.Table) error
	// Progress, if set, is told each step as it starts.
	Progress func(step.Name)
}

// Config fills the disk-dependent fields of base (ESP and data partition,
// machine ID, hostname) for layout l and the machine identity id.
func Config(base appconfig.Config, l Layout, id appconfig.Identity) *appconfig.Config {
	c := base
	c.Schema = appconfig.SchemaVersion
	c.ESP.PartUUID = l.ESP.GUID
	c.Data = appconfig.Data{PartUUID: l.Data.GUID, Label: disklayout.DataName, FSType: appconfig.FSExt4}
	id.DiskGUID = l.DiskGUID
	id.ESPPartUUID = c.ESP.PartUUID
	id.DataPartUUID = c.Data.PartUUID
	if id.Product == "" {
		id.Product = c.Product
	}
	c.MachineID, c.Hostname = appconfig.Derive(id)
	return &c
}

// Write lays the partitions and filesystems of l onto w, with the ESP
// holding c's files. w must be at least l.DiskSize bytes; only metadata
// and files are written.
func Write(w io.WriterAt, l Layout, c Content) error {
	d, err := l.Disk(c)
	if err != nil {
		return err
	}
	return WriteDisk(w, d)
}

// Disk describes what Write lays onto l: the ESP (FAT32) holding the
// boot chain (the runtime UKI at c.LoaderPath, shim with it when c has
// it, the fallback copies) and the config, and the data partition
// (ext4).
func (l Layout) Disk(c Content) (Disk, error) {
	if len(c.RuntimeUKI) == 0 || c.Config == nil {
		return Disk{}, fmt.Errorf("provision: no runtime UKI or config to install")
	}
	if err := c.Config.Validate(); err != nil {
		return Disk{}, fmt.Errorf("provision: config: %w", err)
	}
	cfg, err := appconfig.Marshal(c.Config)
	if err != nil {
		return Disk{}, fmt.Errorf("provision: config: %w", err)
	}
	loader := strings.TrimPrefix(strings.ReplaceAll(c.LoaderPath, `\`, "/"), "/")
	if !strings.HasPrefix(loader, "EFI/") || loader == disklayout.FallbackPath {
		return Disk{}, fmt.Errorf("provision: loader path %q must be under EFI/ and not the fallback path", c.LoaderPath)
	}
	files := map[string][]byte{appconfig.RelPath: cfg}
	for p, data := range c.Files {
		files[p] = data
	}
	bins := map[bootchain.Binary][]byte{bootchain.RuntimeUKI: c.RuntimeUKI, bootchain.Shim: c.Shim, bootchain.MokManager: c.MokManager}
	for _, f := range (bootchain.Chain{Shim: len(c.Shim) > 0}).Files(loader) {
		if len(bins[f.Binary]) == 0 {
			return Disk{}, fmt.Errorf("provision: no %s for %s", f.Binary, f.Path)
		}
		files[f.Path] = bins[f.Binary]
	}
	return Disk{
		Size: l.DiskSize, SectorSize: l.SectorSize, GUID: l.DiskGUID,
		Parts: []Part{
			{Partition: l.ESP, Filesystem: VFAT, Label: disklayout.ESPLabel, Files: files},
			{Partition: l.Data, Filesystem: Ext4, Label: disklayout.DataName},
		},
		ModTime: c.ModTime, WriteTable: c.WriteTable, Progress: c.Progress,
	}, nil
}

// Filesystem is a filesystem WriteDisk makes in a partition.
type Filesystem string

// Filesystems.
const (
	VFAT Filesystem = "vfat"           // FAT32, for the ESP
	Ext4 Filesystem = appconfig.FSExt4 // the data partition
)

// Part is one partition of a new disk and the filesystem made in it.
type Part struct {
	gpt.Partition
	Filesystem Filesystem
	Label      string            // filesystem label
	Files      map[string][]byte // VFAT: the files it holds, by path (forward slashes, relative to its root)
}

// Disk is a new disk: its GPT and what each partition holds.
type Disk struct {
	Size       int64 // bytes
	SectorSize int
	GUID       guid.GUID // the GPT's disk GUID
	Parts      []Part
	ModTime    time.Time // of the files and filesystems; zero: 1980-01-01
	// WriteTable writes the partition table; nil writes it to w. The
	// installer passes gptdev.Disk.Commit so the kernel re-reads the table.
	WriteTable func(*gpt.Table) error
	// Progress, if set, is told each step as it starts: step.FormatESP
	// for the partition of type ESP, step.FormatData for the others,
	// step.Partition for the table.
	Progress func(step.Name)
	// Formatted, if set, is called once each partition's filesystem is
	// written, before the next is begun; its error stops the write. The
	// installer flushes the ESP there and reads it back while the rest is
	// written.
	Formatted func(Part) error
}

// WriteDisk makes the filesystems of d's partitions, then writes its
// GPT. w must be at least d.Size bytes; only metadata and files are
// written. Filesystems come first, the partition table last: a disk
// interrupted midway shows no Plinth table rather than one pointing at
// half-made filesystems.
func WriteDisk(w io.WriterAt, d Disk) error {
	t, err := d.table()
	if err != nil {
		return err
	}
	progress := d.Progress
	if progress == nil {
		progress = func(step.Name) {}
	}
	for _, p := range d.Parts {
		if p.Type == gpt.TypeESP {
			progress(step.FormatESP)
		} else {
			progress(step.FormatData)
		}
		if err := d.format(w, p); err != nil {
			return err
		}
		if d.Formatted != nil {
			if err := d.Formatted(p); err != nil {
				return fmt.Errorf("provision: partition %d: %w", p.Number, err)
			}
		}
	}
	progress(step.Partition)
	writeTable := d.WriteTable
	if writeTable == nil {
		writeTable = func(t *gpt.Table) error { return t.Write(w) }
	}
	if err := writeTable(t); err != nil {
		return fmt.Errorf("provision: write partition table: %w", err)
	}
	return nil
}

// table is d's GPT, checked before anything is written.
func (d Disk) table() (*gpt.Table, error) {
	t, err := gpt.New(d.Size, d.SectorSize)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	t.DiskGUID = d.GUID
	for _, p := range d.Parts {
		if err := t.Add(p.Partition); err != nil {
			return nil, fmt.Errorf("provision: partition %d: %w", p.Number, err)
		}
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	return t, nil
}

// format makes p's filesystem. Its identity follows the partition's:
// the FAT volume ID is the start of the PARTUUID, the ext4 UUID is the
// PARTUUID.
func (d Disk) format(w io.WriterAt, p Part) error {
	off, size := int64(p.FirstLBA)*int64(d.SectorSize), int64(p.Sectors())*int64(d.SectorSize)
	mod := d.ModTime
	if mod.IsZero() {
		mod = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	switch p.Filesystem {
	case VFAT:
		tree := vfat.MemFS{MapFS: fstest.MapFS{}}
		for path, data := range p.Files {
			tree.MapFS[path] = &fstest.MapFile{Data: data, Mode: 0o644, ModTime: mod}
		}
		o := vfat.Options{FATType: 32, Label: p.Label, SectorSize: d.SectorSize, ModTime: mod, Source: tree,
			HiddenSectors: uint32(p.FirstLBA), VolumeID: volumeID(p.GUID)}
		if err := vfat.Format(w, off, size, o); err != nil {
			return fmt.Errorf("provision: format partition %d (FAT32): %w", p.Number, err)
		}
	case Ext4:
		if len(p.Files) > 0 {
			return fmt.Errorf("provision: partition %d: files on ext4 are not supported", p.Number)
		}
		if err := mkext4.Format(w, off, size, mkext4.Options{Label: p.Label, UUID: p.GUID, ModTime: mod}); err != nil {
			return fmt.Errorf("provision: format partition %d (ext4): %w", p.Number, err)
		}
	default:
		return fmt.Errorf("provision: partition %d: unknown filesystem %q", p.Number, p.Filesystem)
	}
	return nil
}

func volumeID(g guid.GUID) uint32 {
	return uint32(g[0])<<24 | uint32(g[1])<<16 | uint32(g[2])<<8 | uint32(g[3])
}
