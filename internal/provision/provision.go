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
	"github.com/plinth-os/plinth/internal/ext4"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/vfat"
)

// Partition sizes and names.
const (
	ESPSize      = 512 << 20
	MinDataSize  = 256 << 20
	ESPName      = "EFI System"
	DataName     = "plinth-data" // GPT partition name (PARTLABEL), also the ext4 label
	ESPLabel     = "PLINTH_ESP"  // FAT volume label
	FallbackPath = "EFI/BOOT/BOOTX64.EFI"
)

// MinDiskSize is the smallest disk the layout fits on.
const MinDiskSize = 1<<20 + ESPSize + MinDataSize + 1<<20

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
// space after it stays free. A data size below MinDataSize or one that
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
		if rounded < MinDataSize {
			return Layout{}, fmt.Errorf("provision: %w", &DataSizeError{Size: dataSize, DiskSize: diskSize, Max: maxSize})
		}
		dataLast = dataFirst + uint64(rounded)/ss - 1
	}
	diskGUID, espGUID, dataGUID := GUIDs(seed)
	first := t.Alignment // 1 MiB
	esp := gpt.Partition{Number: 1, Type: gpt.TypeESP, GUID: espGUID, FirstLBA: first, LastLBA: first + ESPSize/ss - 1, Name: ESPName}
	data := gpt.Partition{Number: 2, Type: gpt.TypeLinuxFS, GUID: dataGUID, FirstLBA: dataFirst, LastLBA: dataLast, Name: DataName}
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
	if diskSize < MinDiskSize {
		return nil, 0, 0, fmt.Errorf("provision: disk of %d MiB is too small: Plinth needs at least %d MiB", diskSize>>20, MinDiskSize>>20)
	}
	t, err = gpt.New(diskSize, sectorSize)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("provision: %w", err)
	}
	dataFirst = t.Alignment + ESPSize/uint64(sectorSize)
	// End the data partition on a 1 MiB boundary too: tidy for resizes and 4Kn copies.
	restLast = (t.LastUsable+1)/t.Alignment*t.Alignment - 1
	return t, dataFirst, restLast, nil
}

func roundMiB(n int64) int64 { return (n + 1<<20 - 1) &^ (1<<20 - 1) }

// DataSizeError is Plan's refusal of a data partition size: below
// MinDataSize, or larger than Max on this disk.
type DataSizeError struct {
	Size     int64 // as requested
	DiskSize int64
	Max      int64 // what fits on this disk (MaxDataSize)
}

func (e *DataSizeError) Error() string {
	if e.Size < MinDataSize {
		return fmt.Sprintf("data partition of %s is too small: at least %s", humanSize(e.Size), humanSize(MinDataSize))
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
	Config     *appconfig.Config
	ModTime    time.Time
	// WriteTable writes the partition table; nil writes it to w. The
	// installer passes gpt.Disk.Commit so the kernel re-reads the table.
	WriteTable func(*gpt.Table) error
	// Progress, if set, is told each step as it starts.
	Progress func(step string)
}

// Config fills the disk-dependent fields of base (ESP and data partition,
// machine ID, hostname) for layout l and the machine identity id.
func Config(base appconfig.Config, l Layout, id appconfig.Identity) *appconfig.Config {
	c := base
	c.Schema = appconfig.SchemaVersion
	c.ESP.PartUUID = l.ESP.GUID
	c.Data = appconfig.Data{PartUUID: l.Data.GUID, Label: DataName, FSType: appconfig.FSExt4}
	id.DiskGUID = l.DiskGUID
	id.ESPPartUUID = c.ESP.PartUUID
	id.DataPartUUID = c.Data.PartUUID
	if id.Product == "" {
		id.Product = c.Product
	}
	c.MachineID, c.Hostname = appconfig.Derive(id)
	return &c
}

// Write lays the partitions and filesystems of l onto w. w must be at
// least l.DiskSize bytes; only metadata and files are written.
func Write(w io.WriterAt, l Layout, c Content) error {
	if len(c.RuntimeUKI) == 0 || c.Config == nil {
		return fmt.Errorf("provision: no runtime UKI or config to install")
	}
	if err := c.Config.Validate(); err != nil {
		return fmt.Errorf("provision: config: %w", err)
	}
	cfg, err := appconfig.Marshal(c.Config)
	if err != nil {
		return fmt.Errorf("provision: config: %w", err)
	}
	loader := strings.TrimPrefix(strings.ReplaceAll(c.LoaderPath, `\`, "/"), "/")
	if !strings.HasPrefix(loader, "EFI/") || loader == FallbackPath {
		return fmt.Errorf("provision: loader path %q must be under EFI/ and not the fallback path", c.LoaderPath)
	}
	mod := c.ModTime
	if mod.IsZero() {
		mod = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	espTree := fstest.MapFS{
		loader:            {Data: c.RuntimeUKI, Mode: 0o644, ModTime: mod},
		FallbackPath:      {Data: c.RuntimeUKI, Mode: 0o644, ModTime: mod},
		appconfig.RelPath: {Data: cfg, Mode: 0o644, ModTime: mod},
	}
	t, err := gpt.New(l.DiskSize, l.SectorSize)
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	t.DiskGUID = l.DiskGUID
	for _, p := range []gpt.Partition{l.ESP, l.Data} {
		if err := t.Add(p); err != nil {
			return fmt.Errorf("provision: partition %d: %w", p.Number, err)
		}
	}
	// Filesystems first, partition table last: a disk interrupted midway
	// shows no Plinth table rather than one pointing at half-made filesystems.
	progress := c.Progress
	if progress == nil {
		progress = func(string) {}
	}
	progress("format-esp")
	espOpts := vfat.Options{FATType: 32, Label: ESPLabel, SectorSize: l.SectorSize, ModTime: mod, Source: espTree,
		HiddenSectors: uint32(l.ESP.FirstLBA), VolumeID: volumeID(l.ESP.GUID)}
	if err := vfat.Format(w, l.Offset(l.ESP), l.Size(l.ESP), espOpts); err != nil {
		return fmt.Errorf("provision: format ESP: %w", err)
	}
	progress("format-data")
	if err := ext4.Format(w, l.Offset(l.Data), l.Size(l.Data), ext4.Options{Label: DataName, UUID: l.Data.GUID, ModTime: mod}); err != nil {
		return fmt.Errorf("provision: format data partition: %w", err)
	}
	progress("partition")
	writeTable := c.WriteTable
	if writeTable == nil {
		writeTable = func(t *gpt.Table) error { return t.Write(w) }
	}
	if err := writeTable(t); err != nil {
		return fmt.Errorf("provision: write partition table: %w", err)
	}
	return nil
}

func volumeID(g guid.GUID) uint32 {
	return uint32(g[0])<<24 | uint32(g[1])<<16 | uint32(g[2])<<8 | uint32(g[3])
}
