// Package provision lays an installed Plinth appliance onto a disk: a GPT
// with an EFI system partition (FAT32: the runtime UKI, its removable-media
// fallback copy, the installed config) and a data partition (ext4) filling
// the rest. mkiso uses it to write ready-to-boot disk images and the
// installer to write real disks, so both produce the same layout.
package provision

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/ext4"
	"github.com/plinth-os/plinth/internal/gpt"
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
	DiskGUID   gpt.GUID
	ESP, Data  gpt.Partition
}

// Offset and Size of a partition in bytes.
func (l Layout) Offset(p gpt.Partition) int64 { return int64(p.FirstLBA) * int64(l.SectorSize) }

// Size of a partition in bytes.
func (l Layout) Size(p gpt.Partition) int64 { return int64(p.Sectors()) * int64(l.SectorSize) }

// GUIDs derives the disk and partition GUIDs from seed, so that the same
// inputs give the same image. Installers pass a seed that includes a
// random part or the machine's identity, so two disks never share GUIDs.
func GUIDs(seed []byte) (disk, esp, data gpt.GUID) {
	derive := func(what string) gpt.GUID {
		h := sha256.Sum256(append([]byte("plinth provision "+what+"\x00"), seed...))
		var g gpt.GUID
		copy(g[:], h[:16])
		g[6] = g[6]&0x0f | 0x40 // version 4
		g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
		return g
	}
	return derive("disk"), derive("esp"), derive("data")
}

// Plan computes the layout for a disk of diskSize bytes.
func Plan(diskSize int64, sectorSize int, seed []byte) (Layout, error) {
	if diskSize < MinDiskSize {
		return Layout{}, fmt.Errorf("provision: disk of %d MiB is too small: Plinth needs at least %d MiB", diskSize>>20, MinDiskSize>>20)
	}
	t, err := gpt.New(diskSize, sectorSize)
	if err != nil {
		return Layout{}, fmt.Errorf("provision: %w", err)
	}
	ss := uint64(sectorSize)
	diskGUID, espGUID, dataGUID := GUIDs(seed)
	first := t.Alignment // 1 MiB
	esp := gpt.Partition{Number: 1, Type: gpt.TypeESP, GUID: espGUID, FirstLBA: first, LastLBA: first + ESPSize/ss - 1, Name: ESPName}
	dataFirst := esp.LastLBA + 1
	// End the data partition on a 1 MiB boundary too: tidy for resizes and 4Kn copies.
	dataLast := (t.LastUsable+1)/t.Alignment*t.Alignment - 1
	data := gpt.Partition{Number: 2, Type: gpt.TypeLinuxFS, GUID: dataGUID, FirstLBA: dataFirst, LastLBA: dataLast, Name: DataName}
	return Layout{DiskSize: diskSize, SectorSize: sectorSize, DiskGUID: diskGUID, ESP: esp, Data: data}, nil
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
	c.ESP.PartUUID = strings.ToLower(l.ESP.GUID.String())
	c.Data = appconfig.Data{PartUUID: strings.ToLower(l.Data.GUID.String()), Label: DataName, FSType: appconfig.FSExt4}
	id.DiskGUID = l.DiskGUID.String()
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

func volumeID(g gpt.GUID) uint32 {
	return uint32(g[0])<<24 | uint32(g[1])<<16 | uint32(g[2])<<8 | uint32(g[3])
}
