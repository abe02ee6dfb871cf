// Package probe tells what a disk or partition holds before anything
// overwrites it: partition tables, filesystems, RAID members, encrypted
// volumes, LVM physical volumes, swap and cache devices. The installer
// uses it to decide whether a disk needs confirmation, and mkfs-ext4 to
// refuse to format over data.
//
// Each detector reads a few fixed offsets and checks the structure there
// as libblkid does (checksums, self-referencing offsets, sane geometry), so
// that a stray magic number in file data does not count, and names what it
// finds the way blkid prints TYPE or PTTYPE. Findings carry the offset of
// the magic as wipefs reports it, and the label and UUID where they are
// cheap to read.
//
// Deliberate differences from "blkid -p": every finding is reported, not
// just the first filesystem (blkid calls more than one "ambivalent"); a
// GPT is reported without a protective MBR and from its backup header
// alone; a DOS partition table needs at least one used entry (blkid also
// reports an empty one); a LUKS2 volume is found from its secondary header
// alone (as wipefs does); an md 0.90 superblock at the end of a disk is
// reported even when it lies inside the last partition. An ISO 9660 label
// is the primary volume descriptor's (blkid prefers a Joliet one), and a
// UDF volume gets no label or UUID.
package probe

import (
	"errors"
	"fmt"
	"io"
)

// Kind is what sort of thing a Finding is.
type Kind int

// The kinds of Finding.
const (
	PartitionTable Kind = iota
	Filesystem
	RAID   // a member of a software RAID (md)
	Crypto // an encrypted volume (LUKS)
	LVM    // an LVM physical volume
	Swap
	Cache // a bcache backing or caching device
)

func (k Kind) String() string {
	switch k {
	case PartitionTable:
		return "partition table"
	case Filesystem:
		return "filesystem"
	case RAID:
		return "RAID member"
	case Crypto:
		return "encrypted volume"
	case LVM:
		return "LVM physical volume"
	case Swap:
		return "swap area"
	case Cache:
		return "cache device"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Names of what Probe finds, spelled as blkid prints TYPE (or PTTYPE for
// partition tables).
const (
	GPT       = "gpt"
	DOS       = "dos"
	Ext2      = "ext2"
	Ext3      = "ext3"
	Ext4      = "ext4"
	Ext4Dev   = "ext4dev"
	JBD       = "jbd" // an external ext3/4 journal
	XFS       = "xfs"
	Btrfs     = "btrfs"
	VFAT      = "vfat"
	ExFAT     = "exfat"
	NTFS      = "ntfs"
	ISO9660   = "iso9660"
	UDF       = "udf"
	F2FS      = "f2fs"
	SquashFS  = "squashfs"
	SwapArea  = "swap"
	LVM2      = "LVM2_member"
	LinuxRAID = "linux_raid_member"
	LUKS      = "crypto_LUKS"
	BcacheDev = "bcache"
)

// Finding is one thing Probe recognised.
type Finding struct {
	Kind Kind
	Name string // blkid's TYPE, or PTTYPE for a partition table
	// Offset is where the magic that identifies it lies, in bytes from
	// the start, as "wipefs -n" reports it.
	Offset int64
	// Copies are the offsets of further copies of the magic that wipefs
	// also lists: the backup GPT header, the LUKS2 secondary header.
	Copies []int64
	// Backup is set when only a backup copy was found (a GPT whose
	// primary header is gone, a LUKS2 volume without its first header);
	// Offset is then the backup's.
	Backup  bool
	Version string // blkid's VERSION, where cheap ("FAT32", "1.2", "2")
	Label   string // blkid's LABEL, where cheap
	UUID    string // blkid's UUID, or PTUUID for a partition table
}

// Describe names f for a sentence such as "img contains a GPT partition
// table".
func (f Finding) Describe() string {
	switch f.Name {
	case GPT:
		if f.Backup {
			return "a GPT partition table (backup header only)"
		}
		return "a GPT partition table"
	case DOS:
		return "an MBR partition table"
	case Ext2, Ext3, Ext4, Ext4Dev:
		return "an ext2/3/4 filesystem (" + f.Name + ")"
	case JBD:
		return "an ext3/4 external journal"
	case VFAT:
		return "a FAT filesystem"
	case ISO9660:
		return "an ISO 9660 filesystem"
	case SwapArea:
		return "a swap area"
	case LUKS:
		return "a LUKS volume"
	case LVM2:
		return "an LVM2 physical volume"
	case LinuxRAID:
		return "a Linux md RAID member"
	case XFS:
		return "an XFS filesystem"
	case NTFS:
		return "an NTFS filesystem"
	case ExFAT:
		return "an exFAT filesystem"
	case F2FS:
		return "an F2FS filesystem"
	case UDF:
		return "a UDF filesystem"
	case BcacheDev:
		return "a bcache device"
	}
	return "a " + f.Name + " " + f.Kind.String()
}

// Probe reads the disk or partition r of size bytes and returns what it
// holds, partition tables first, then containers (RAID, LVM, LUKS,
// bcache), then filesystems and swap. It reads a few hundred KiB at fixed
// offsets. Regions past the end of r match nothing; an error other than
// io.EOF is returned with whatever was found anyway. An empty result
// means nothing known was found, not that the disk is blank.
func Probe(r io.ReaderAt, size int64) ([]Finding, error) {
	d := newDisk(r, size)
	detectors := []func(*disk) (Finding, bool){
		probeGPT, probeDOS,
		probeMD, probeLVM2, probeLUKS, probeBcache,
		probeExt, probeXFS, probeBtrfs, probeVFAT, probeExFAT, probeNTFS,
		probeUDF, probeISO9660, probeF2FS, probeSquashFS, probeSwap,
	}
	var found []Finding
	for _, detect := range detectors {
		if f, ok := detect(d); ok {
			found = append(found, f)
		}
	}
	if d.err != nil {
		return found, fmt.Errorf("probe: %w", d.err)
	}
	return found, nil
}

// Names returns the names of the findings, in order.
func Names(fs []Finding) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

// disk reads r of a given size for the detectors. The first and last
// cacheSize bytes, where most magics lie, are read once; other reads go
// to r. A read past the end yields nothing; the first other error is
// kept in err.
type disk struct {
	r          io.ReaderAt
	size       int64
	head, tail []byte
	tailOff    int64
	err        error
}

// cacheSize covers every magic near the start (the btrfs superblock at
// 64 KiB, the ISO 9660 and UDF descriptors from 32 KiB) and near the end
// (md 0.90 and 1.0, the backup GPT header).
const cacheSize = 192 << 10

func newDisk(r io.ReaderAt, size int64) *disk {
	d := &disk{r: r, size: max(size, 0)}
	d.head = d.readRaw(0, min(d.size, cacheSize))
	d.tailOff = max(d.size-cacheSize, 0)
	d.tail = d.readRaw(d.tailOff, d.size-d.tailOff)
	return d
}

func (d *disk) readRaw(off, n int64) []byte {
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	k, err := d.r.ReadAt(b, off)
	if k == len(b) {
		return b
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && d.err == nil {
		d.err = fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	return nil
}

// at returns the n bytes at off, or nil if they lie (partly) outside the
// disk or cannot be read. The slice may be shared: callers must not
// change it.
func (d *disk) at(off int64, n int) []byte {
	end := off + int64(n)
	switch {
	case off < 0 || n < 0 || end > d.size || end < off:
		return nil
	case end <= int64(len(d.head)):
		return d.head[off:end:end]
	case off >= d.tailOff && end-d.tailOff <= int64(len(d.tail)):
		return d.tail[off-d.tailOff : end-d.tailOff : end-d.tailOff]
	}
	return d.readRaw(off, int64(n))
}

// ReadAt lets packages that take an io.ReaderAt (gpt) read through the
// cache and the size limit.
func (d *disk) ReadAt(p []byte, off int64) (int, error) {
	b := d.at(off, len(p))
	if b == nil {
		return 0, io.ErrUnexpectedEOF
	}
	return copy(p, b), nil
}

// has reports whether the bytes at off are magic.
func (d *disk) has(off int64, magic string) bool {
	b := d.at(off, len(magic))
	return b != nil && string(b) == magic
}
