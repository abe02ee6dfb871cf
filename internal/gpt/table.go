package gpt

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/guid"
)

// Partition is one used entry of the partition array.
type Partition struct {
	Number     int       // 1-based index in the partition array (sda1 is 1)
	Type       guid.GUID // partition type, e.g. TypeESP
	GUID       guid.GUID // unique partition GUID (PARTUUID); Add fills a zero one randomly
	FirstLBA   uint64    // first sector, inclusive
	LastLBA    uint64    // last sector, inclusive
	Name       string    // up to 36 UTF-16 code units (PARTLABEL)
	Attributes uint64
}

// Sectors is the partition's length in sectors.
func (p Partition) Sectors() uint64 { return p.LastLBA - p.FirstLBA + 1 }

// Extent is an inclusive range of sectors.
type Extent struct{ First, Last uint64 }

// Table is a GPT as it will be written (New) or as it was read (Read).
// Fields may be changed directly; Validate, which Write calls, checks them.
type Table struct {
	SectorSize  int    // logical sector size in bytes
	Sectors     uint64 // disk size in sectors; the backup header is the last one
	DiskGUID    guid.GUID
	FirstUsable uint64
	LastUsable  uint64
	Entries     int // slots in the partition array, 128 normally
	// Alignment, in sectors, is what Add requires of FirstLBA (New and Read
	// set 1 MiB worth, as sgdisk does). Validate does not check it, so a
	// table read from disk with older unaligned partitions stays writable.
	Alignment  uint64
	Partitions []Partition // sorted by Number
	// FromBackup is set by Read when the primary header or array was
	// damaged and the backup copy was used; Write restores both copies.
	FromBackup bool
}

// arraySectors is the size of one partition array copy in sectors.
func arraySectors(entries, sectorSize int) uint64 {
	return (uint64(entries)*entrySize + uint64(sectorSize) - 1) / uint64(sectorSize)
}

func checkSectorSize(n int) error {
	if n < 512 || n > 4096 || n&(n-1) != 0 {
		return fmt.Errorf("gpt: sector size %d not supported (512, 1024, 2048 or 4096)", n)
	}
	return nil
}

// New returns an empty table for a disk of diskSize bytes with a random
// disk GUID; set DiskGUID for a reproducible image.
func New(diskSize int64, sectorSize int) (*Table, error) {
	if err := checkSectorSize(sectorSize); err != nil {
		return nil, err
	}
	if diskSize < 0 {
		return nil, fmt.Errorf("gpt: negative disk size %d", diskSize)
	}
	sectors := uint64(diskSize) / uint64(sectorSize)
	arr := arraySectors(defaultEntries, sectorSize)
	if sectors < 2*arr+4 {
		return nil, fmt.Errorf("gpt: disk of %d bytes too small for a GPT with %d-byte sectors", diskSize, sectorSize)
	}
	return &Table{
		SectorSize:  sectorSize,
		Sectors:     sectors,
		DiskGUID:    guid.Random(),
		FirstUsable: 2 + arr,
		LastUsable:  sectors - 2 - arr,
		Entries:     defaultEntries,
		Alignment:   defaultAlignment(sectorSize),
	}, nil
}

func defaultAlignment(sectorSize int) uint64 { return max(1, (1<<20)/uint64(sectorSize)) }

// Validate checks the whole table: geometry, and for every partition its
// number, type, GUID, bounds, name, and that no two overlap.
func (t *Table) Validate() error {
	if err := checkSectorSize(t.SectorSize); err != nil {
		return err
	}
	if t.Entries < 1 || t.Entries*entrySize > maxArrayBytes {
		return fmt.Errorf("gpt: %d partition entries out of range", t.Entries)
	}
	arr := arraySectors(t.Entries, t.SectorSize)
	if t.Sectors < 2*arr+4 || t.FirstUsable < 2+arr || t.LastUsable > t.Sectors-2-arr || t.FirstUsable > t.LastUsable {
		return fmt.Errorf("gpt: usable sectors %d-%d do not fit a disk of %d sectors", t.FirstUsable, t.LastUsable, t.Sectors)
	}
	if t.DiskGUID.IsZero() {
		return fmt.Errorf("gpt: disk GUID is zero")
	}
	guids := map[guid.GUID]int{}
	for i, p := range t.Partitions {
		if err := t.checkPartition(p); err != nil {
			return err
		}
		if q, dup := guids[p.GUID]; dup {
			return fmt.Errorf("gpt: partitions %d and %d have the same GUID %s", q, p.Number, p.GUID)
		}
		guids[p.GUID] = p.Number
		for _, q := range t.Partitions[:i] {
			if q.Number == p.Number {
				return fmt.Errorf("gpt: partition number %d used twice", p.Number)
			}
			if p.FirstLBA <= q.LastLBA && q.FirstLBA <= p.LastLBA {
				return fmt.Errorf("gpt: partition %d (sectors %d-%d) overlaps partition %d (sectors %d-%d)",
					p.Number, p.FirstLBA, p.LastLBA, q.Number, q.FirstLBA, q.LastLBA)
			}
		}
	}
	return nil
}

func (t *Table) checkPartition(p Partition) error {
	switch {
	case p.Number < 1 || p.Number > t.Entries:
		return fmt.Errorf("gpt: partition number %d out of range 1-%d", p.Number, t.Entries)
	case p.Type.IsZero():
		return fmt.Errorf("gpt: partition %d: type is zero (unused entry)", p.Number)
	case p.GUID.IsZero():
		return fmt.Errorf("gpt: partition %d: GUID is zero", p.Number)
	case p.FirstLBA > p.LastLBA:
		return fmt.Errorf("gpt: partition %d: first sector %d after last sector %d", p.Number, p.FirstLBA, p.LastLBA)
	case p.FirstLBA < t.FirstUsable || p.LastLBA > t.LastUsable:
		return fmt.Errorf("gpt: partition %d (sectors %d-%d) outside the usable sectors %d-%d",
			p.Number, p.FirstLBA, p.LastLBA, t.FirstUsable, t.LastUsable)
	case strings.ContainsRune(p.Name, 0):
		return fmt.Errorf("gpt: partition %d: name contains NUL", p.Number)
	case len(utf16.Encode([]rune(p.Name))) > 36:
		return fmt.Errorf("gpt: partition %d: name %q longer than 36 UTF-16 units", p.Number, p.Name)
	}
	return nil
}

// Add adds p after checking it against the table (see Validate) and
// Alignment. A zero p.GUID is replaced by a random one.
func (t *Table) Add(p Partition) error {
	if t.Partition(p.Number) != nil {
		return fmt.Errorf("gpt: partition %d already exists", p.Number)
	}
	if p.GUID.IsZero() {
		p.GUID = guid.Random()
	}
	if t.Alignment > 1 && p.FirstLBA%t.Alignment != 0 {
		return fmt.Errorf("gpt: partition %d: first sector %d not aligned to %d sectors", p.Number, p.FirstLBA, t.Alignment)
	}
	old := t.Partitions
	t.Partitions = append(slices.Clone(old), p)
	t.sort()
	if err := t.Validate(); err != nil {
		t.Partitions = old
		return err
	}
	return nil
}

// Delete removes partition n.
func (t *Table) Delete(n int) error {
	i := slices.IndexFunc(t.Partitions, func(p Partition) bool { return p.Number == n })
	if i < 0 {
		return fmt.Errorf("gpt: partition %d does not exist", n)
	}
	t.Partitions = slices.Delete(t.Partitions, i, i+1)
	return nil
}

// Partition returns partition n for reading or changing, or nil.
func (t *Table) Partition(n int) *Partition {
	for i := range t.Partitions {
		if t.Partitions[i].Number == n {
			return &t.Partitions[i]
		}
	}
	return nil
}

// NextNumber is the lowest unused partition number, or 0 if all are used.
func (t *Table) NextNumber() int {
	for n := 1; n <= t.Entries; n++ {
		if t.Partition(n) == nil {
			return n
		}
	}
	return 0
}

func (t *Table) sort() {
	slices.SortFunc(t.Partitions, func(a, b Partition) int { return a.Number - b.Number })
}

// Free returns the unpartitioned runs of usable sectors, in disk order.
func (t *Table) Free() []Extent {
	used := slices.Clone(t.Partitions)
	slices.SortFunc(used, func(a, b Partition) int {
		switch {
		case a.FirstLBA < b.FirstLBA:
			return -1
		case a.FirstLBA > b.FirstLBA:
			return 1
		}
		return 0
	})
	var free []Extent
	next := t.FirstUsable
	for _, p := range used {
		if next > t.LastUsable {
			break
		}
		if p.FirstLBA > next {
			free = append(free, Extent{next, min(p.FirstLBA-1, t.LastUsable)})
		}
		next = max(next, p.LastLBA+1)
	}
	if next <= t.LastUsable {
		free = append(free, Extent{next, t.LastUsable})
	}
	return free
}

// FirstFree returns the first free sector that is a multiple of Alignment:
// where sgdisk starts a partition when asked for the default start.
func (t *Table) FirstFree() (uint64, error) {
	a := max(t.Alignment, 1)
	for _, e := range t.Free() {
		if s := (e.First + a - 1) / a * a; s <= e.Last {
			return s, nil
		}
	}
	return 0, fmt.Errorf("gpt: no free space left on a %d-sector boundary", a)
}

// LargestFree returns the largest free run (the first of equals), where
// sgdisk puts a partition whose start is given as 0; ok is false if the
// disk is full.
func (t *Table) LargestFree() (e Extent, ok bool) {
	for _, f := range t.Free() {
		if !ok || f.Last-f.First > e.Last-e.First {
			e, ok = f, true
		}
	}
	return e, ok
}

// FreeEnd returns the last sector of the free run that contains lba: the
// default end of a partition starting at lba.
func (t *Table) FreeEnd(lba uint64) (uint64, error) {
	for _, e := range t.Free() {
		if e.First <= lba && lba <= e.Last {
			return e.Last, nil
		}
	}
	return 0, fmt.Errorf("gpt: sector %d is not free", lba)
}
