package iso

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"unicode/utf16"
)

const (
	sectorSize     = 512
	gptHeaderSize  = 92
	gptEntrySize   = 128
	gptEntries     = 128
	gptArrayLBAs   = gptEntries * gptEntrySize / sectorSize // 32
	gptFirstUsable = 2 + gptArrayLBAs                       // 34
	// maxGPTArray bounds what ReadGPT allocates for a partition array.
	maxGPTArray = 1 << 20

	espName = "EFI System"
	// espAttributes are xorriso's: required partition (bit 0) and
	// read-only (bit 60).
	espAttributes = 1<<0 | 1<<60

	mbrPartitionTable = 446
	mbrProtective     = 0xEE
	// CHS geometry xorriso uses for the protective MBR entry.
	mbrHeads   = 64
	mbrSectors = 32
)

var gptSignature = []byte("EFI PART")

// GUID is a GUID in RFC 4122 byte order (the order of its string form).
// GPT stores the first three fields little-endian; see guidFromDisk.
type GUID [16]byte

// ESPTypeGUID is the GPT partition type of an EFI System Partition
// (sgdisk code EF00), as GUID.String formats it.
const ESPTypeGUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

// espType is ESPTypeGUID as bytes (a var only because arrays cannot be
// constants; never modified).
var espType = GUID{0xC1, 0x2A, 0x73, 0x28, 0xF8, 0x1F, 0x11, 0xD2, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B}

// String formats g like sgdisk does: C12A7328-F81F-11D2-BA4B-00A0C93EC93B.
func (g GUID) String() string {
	return fmt.Sprintf("%X-%X-%X-%X-%X", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// disk returns g in GPT's on-disk mixed-endian layout.
func (g GUID) disk() [16]byte {
	d := g
	d[0], d[1], d[2], d[3] = g[3], g[2], g[1], g[0]
	d[4], d[5] = g[5], g[4]
	d[6], d[7] = g[7], g[6]
	return d
}

func guidFromDisk(b []byte) GUID {
	var d GUID
	copy(d[:], b[:16])
	return GUID(d.disk()) // the byte swap is its own inverse
}

// derivedGUID returns a version-4-formatted GUID that is a pure function
// of the image digest and a purpose label, so builds are reproducible.
func derivedGUID(digest []byte, label string) GUID {
	h := sha256.New()
	h.Write([]byte("plinth/iso GPT " + label + "\x00"))
	h.Write(digest)
	var g GUID
	copy(g[:], h.Sum(nil))
	g[6] = g[6]&0x0F | 0x40 // version 4
	g[8] = g[8]&0x3F | 0x80 // RFC 4122 variant
	return g
}

// MBRPartition is one non-empty entry of the MBR partition table.
type MBRPartition struct {
	Status   uint8
	Type     uint8
	FirstLBA uint32
	Sectors  uint32
}

// Partition is one used GPT partition entry. LBAs are 512-byte sectors.
type Partition struct {
	Number     int // 1-based slot in the partition array
	Type       GUID
	GUID       GUID
	FirstLBA   uint64
	LastLBA    uint64 // inclusive
	Attributes uint64
	Name       string
}

// IsESP reports whether p has the EFI System Partition type.
func (p Partition) IsESP() bool { return p.Type == espType }

// Offset returns the partition's byte offset in the image.
func (p Partition) Offset() int64 { return int64(p.FirstLBA) * sectorSize }

// Size returns the partition's length in bytes.
func (p Partition) Size() int64 { return int64(p.LastLBA-p.FirstLBA+1) * sectorSize }

// GPT is a validated GUID partition table: primary and backup headers and
// arrays agree and all CRCs are correct.
type GPT struct {
	MBR            []MBRPartition // non-empty entries of the (protective) MBR
	DiskGUID       GUID
	FirstUsableLBA uint64
	LastUsableLBA  uint64
	BackupLBA      uint64 // LBA of the backup header
	Partitions     []Partition
}

// makeHybrid turns the finished ISO 9660 image in f into a hybrid image:
// it pads f for the backup GPT, makes the volume size cover the whole file,
// and writes the protective MBR and both GPTs with one ESP covering
// /efiboot.img. It returns the final size.
func makeHybrid(f *os.File, efiSize int64) (int64, error) {
	vds, err := scanVolumeDescriptors(f)
	if err != nil {
		return 0, fmt.Errorf("iso: hybrid: %w", err)
	}
	pvd, err := readSector(f, vds.primary)
	if err != nil {
		return 0, fmt.Errorf("iso: hybrid: %w", err)
	}
	et, err := ReadElTorito(f)
	if err != nil {
		return 0, fmt.Errorf("iso: hybrid: %w", err)
	}
	if len(et.Entries) == 0 || et.Entries[0].Platform != 0xEF {
		return 0, errors.New("iso: hybrid: boot catalog has no UEFI default entry")
	}
	espBlock := et.Entries[0].LBA
	tree, err := readTree(f, dirRecord(pvd[vdRootRecord:vdRootRecord+drMinLen]))
	if err != nil {
		return 0, fmt.Errorf("iso: hybrid: %w", err)
	}
	// Cross-check: the El Torito image is the file we stored, in full.
	if sz, ok := tree.files[espBlock]; !ok || int64(sz) != efiSize {
		return 0, fmt.Errorf("iso: hybrid: El Torito image at block %d is not %s (%d bytes)", espBlock, EFIBootImagePath, efiSize)
	}

	isoEnd := int64(binary.LittleEndian.Uint32(pvd[vdVolumeSpaceSize:])) * isoBlock
	// Room for the backup array and header, rounded to whole ISO blocks.
	total := (isoEnd + (gptArrayLBAs+1)*sectorSize + isoBlock - 1) / isoBlock * isoBlock
	if err := f.Truncate(total); err != nil {
		return 0, fmt.Errorf("iso: hybrid: pad image: %w", err)
	}
	// Like xorriso, let the ISO volume cover the GPT backup too.
	for _, s := range append([]int64{vds.primary}, vds.supplements...) {
		var b [8]byte
		putBoth32(b[:], uint32(total/isoBlock))
		if _, err := f.WriteAt(b[:], s*isoBlock+vdVolumeSpaceSize); err != nil {
			return 0, fmt.Errorf("iso: hybrid: volume size: %w", err)
		}
	}

	// The system area is still zero here, so this digests exactly the
	// deterministic ISO 9660 content.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, total)); err != nil {
		return 0, fmt.Errorf("iso: hybrid: digest: %w", err)
	}
	digest := h.Sum(nil)

	esp := Partition{
		Number:     1,
		Type:       espType,
		GUID:       derivedGUID(digest, "partition 1"),
		FirstLBA:   uint64(espBlock) * (isoBlock / sectorSize),
		Attributes: espAttributes,
		Name:       espName,
	}
	esp.LastLBA = esp.FirstLBA + uint64(efiSize/sectorSize) - 1
	primary, backup, err := buildSystemArea(uint64(total/sectorSize), derivedGUID(digest, "disk"), []Partition{esp})
	if err != nil {
		return 0, err
	}
	if _, err := f.WriteAt(primary, 0); err != nil {
		return 0, fmt.Errorf("iso: hybrid: write primary GPT: %w", err)
	}
	if _, err := f.WriteAt(backup, total-int64(len(backup))); err != nil {
		return 0, fmt.Errorf("iso: hybrid: write backup GPT: %w", err)
	}
	return total, nil
}

// buildSystemArea returns LBA 0..33 (protective MBR, primary header,
// array) and the last 33 LBAs (backup array, backup header) of a disk of
// totalLBAs sectors.
func buildSystemArea(totalLBAs uint64, disk GUID, parts []Partition) (primary, backup []byte, err error) {
	if totalLBAs < 2*gptFirstUsable {
		return nil, nil, fmt.Errorf("iso: GPT: disk of %d sectors too small", totalLBAs)
	}
	lastUsable := totalLBAs - gptFirstUsable
	array := make([]byte, gptArrayLBAs*sectorSize)
	for _, p := range parts {
		if p.Number < 1 || p.Number > gptEntries || p.FirstLBA < gptFirstUsable || p.LastLBA > lastUsable || p.LastLBA < p.FirstLBA {
			return nil, nil, fmt.Errorf("iso: GPT: partition %d (%d..%d) outside usable %d..%d", p.Number, p.FirstLBA, p.LastLBA, gptFirstUsable, lastUsable)
		}
		e := array[(p.Number-1)*gptEntrySize:][:gptEntrySize]
		t, u := p.Type.disk(), p.GUID.disk()
		copy(e[0:], t[:])
		copy(e[16:], u[:])
		binary.LittleEndian.PutUint64(e[32:], p.FirstLBA)
		binary.LittleEndian.PutUint64(e[40:], p.LastLBA)
		binary.LittleEndian.PutUint64(e[48:], p.Attributes)
		name := utf16.Encode([]rune(p.Name))
		if len(name) > 36 {
			return nil, nil, fmt.Errorf("iso: GPT: partition name %q longer than 36 UTF-16 units", p.Name)
		}
		for i, c := range name {
			binary.LittleEndian.PutUint16(e[56+2*i:], c)
		}
	}
	arrayCRC := crc32.ChecksumIEEE(array)
	header := func(my, alt, arrayLBA uint64) []byte {
		h := make([]byte, sectorSize)
		copy(h, gptSignature)
		binary.LittleEndian.PutUint32(h[8:], 0x00010000) // revision 1.0
		binary.LittleEndian.PutUint32(h[12:], gptHeaderSize)
		binary.LittleEndian.PutUint64(h[24:], my)
		binary.LittleEndian.PutUint64(h[32:], alt)
		binary.LittleEndian.PutUint64(h[40:], gptFirstUsable)
		binary.LittleEndian.PutUint64(h[48:], lastUsable)
		d := disk.disk()
		copy(h[56:], d[:])
		binary.LittleEndian.PutUint64(h[72:], arrayLBA)
		binary.LittleEndian.PutUint32(h[80:], gptEntries)
		binary.LittleEndian.PutUint32(h[84:], gptEntrySize)
		binary.LittleEndian.PutUint32(h[88:], arrayCRC)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:gptHeaderSize]))
		return h
	}
	last := totalLBAs - 1

	primary = make([]byte, gptFirstUsable*sectorSize)
	putProtectiveMBR(primary[:sectorSize], totalLBAs)
	copy(primary[sectorSize:], header(1, last, 2))
	copy(primary[2*sectorSize:], array)

	backup = make([]byte, (gptArrayLBAs+1)*sectorSize)
	copy(backup, array)
	copy(backup[len(array):], header(last, 1, last-gptArrayLBAs))
	return primary, backup, nil
}

// putProtectiveMBR writes a protective MBR as xorriso does: no boot code,
// one 0xEE entry from LBA 1 to the end (capped at 2^32-1 sectors), CHS
// computed for 64 heads x 32 sectors.
func putProtectiveMBR(b []byte, totalLBAs uint64) {
	size := totalLBAs - 1
	if size > 0xFFFFFFFF {
		size = 0xFFFFFFFF
	}
	e := b[mbrPartitionTable:][:16]
	e[0] = 0x00 // not bootable
	copy(e[1:4], chs(1))
	e[4] = mbrProtective
	copy(e[5:8], chs(size))
	binary.LittleEndian.PutUint32(e[8:], 1)
	binary.LittleEndian.PutUint32(e[12:], uint32(size))
	b[510], b[511] = 0x55, 0xAA
}

// chs encodes an LBA as MBR head/sector/cylinder bytes, saturating at
// cylinder 1023.
func chs(lba uint64) []byte {
	c := lba / (mbrHeads * mbrSectors)
	hd := (lba / mbrSectors) % mbrHeads
	s := lba%mbrSectors + 1
	if c > 1023 {
		c, hd, s = 1023, mbrHeads-1, mbrSectors
	}
	return []byte{byte(hd), byte(s) | byte(c>>8)<<6, byte(c)}
}

// ReadGPT reads and validates the protective MBR and both GPT headers and
// partition arrays of an image with 512-byte sectors.
func ReadGPT(r io.ReaderAt) (*GPT, error) {
	mbr := make([]byte, sectorSize)
	if _, err := r.ReadAt(mbr, 0); err != nil {
		return nil, fmt.Errorf("iso: read MBR: %w", err)
	}
	if mbr[510] != 0x55 || mbr[511] != 0xAA {
		return nil, errors.New("iso: MBR has no 0x55AA signature")
	}
	g := &GPT{}
	for i := 0; i < 4; i++ {
		e := mbr[mbrPartitionTable+16*i:][:16]
		if e[4] == 0 {
			continue
		}
		g.MBR = append(g.MBR, MBRPartition{
			Status:   e[0],
			Type:     e[4],
			FirstLBA: binary.LittleEndian.Uint32(e[8:]),
			Sectors:  binary.LittleEndian.Uint32(e[12:]),
		})
	}

	ph, parray, err := readGPTHeader(r, 1)
	if err != nil {
		return nil, fmt.Errorf("iso: primary GPT: %w", err)
	}
	g.DiskGUID = ph.disk
	g.FirstUsableLBA, g.LastUsableLBA, g.BackupLBA = ph.firstUsable, ph.lastUsable, ph.alt
	if ph.firstUsable > ph.lastUsable {
		return nil, fmt.Errorf("iso: primary GPT: first usable LBA %d > last usable %d", ph.firstUsable, ph.lastUsable)
	}

	bh, barray, err := readGPTHeader(r, ph.alt)
	if err != nil {
		return nil, fmt.Errorf("iso: backup GPT: %w", err)
	}
	switch {
	case bh.alt != 1:
		return nil, fmt.Errorf("iso: backup GPT: alternate LBA %d, want 1", bh.alt)
	case bh.disk != ph.disk || bh.firstUsable != ph.firstUsable || bh.lastUsable != ph.lastUsable:
		return nil, errors.New("iso: backup GPT header disagrees with primary")
	case !bytes.Equal(barray, parray):
		return nil, errors.New("iso: backup GPT partition array differs from primary")
	}

	for i := 0; i < int(ph.entries); i++ {
		e := parray[i*int(ph.entrySize):]
		t := guidFromDisk(e[0:])
		if t == (GUID{}) {
			continue
		}
		p := Partition{
			Number:     i + 1,
			Type:       t,
			GUID:       guidFromDisk(e[16:]),
			FirstLBA:   binary.LittleEndian.Uint64(e[32:]),
			LastLBA:    binary.LittleEndian.Uint64(e[40:]),
			Attributes: binary.LittleEndian.Uint64(e[48:]),
		}
		var name []uint16
		for j := 0; j < 36; j++ {
			c := binary.LittleEndian.Uint16(e[56+2*j:])
			if c == 0 {
				break
			}
			name = append(name, c)
		}
		p.Name = string(utf16.Decode(name))
		if p.FirstLBA > p.LastLBA || p.FirstLBA < ph.firstUsable || p.LastLBA > ph.lastUsable {
			return nil, fmt.Errorf("iso: GPT partition %d (%d..%d) outside usable %d..%d", p.Number, p.FirstLBA, p.LastLBA, ph.firstUsable, ph.lastUsable)
		}
		g.Partitions = append(g.Partitions, p)
	}
	return g, nil
}

type gptHeader struct {
	my, alt                 uint64
	firstUsable, lastUsable uint64
	disk                    GUID
	arrayLBA                uint64
	entries, entrySize      uint32
}

// readGPTHeader reads and CRC-checks the header at lba and its array.
func readGPTHeader(r io.ReaderAt, lba uint64) (gptHeader, []byte, error) {
	var h gptHeader
	if lba == 0 || lba > (1<<63-1)/sectorSize {
		return h, nil, fmt.Errorf("bad header LBA %d", lba)
	}
	b := make([]byte, sectorSize)
	if _, err := r.ReadAt(b, int64(lba)*sectorSize); err != nil {
		return h, nil, fmt.Errorf("read header at LBA %d: %w", lba, err)
	}
	if !bytes.Equal(b[:8], gptSignature) {
		return h, nil, fmt.Errorf("no GPT signature at LBA %d", lba)
	}
	hs := binary.LittleEndian.Uint32(b[12:])
	if hs < gptHeaderSize || hs > sectorSize {
		return h, nil, fmt.Errorf("header size %d", hs)
	}
	want := binary.LittleEndian.Uint32(b[16:])
	c := append([]byte(nil), b[:hs]...)
	binary.LittleEndian.PutUint32(c[16:], 0)
	if got := crc32.ChecksumIEEE(c); got != want {
		return h, nil, fmt.Errorf("header CRC %#08x, want %#08x", got, want)
	}
	h = gptHeader{
		my:          binary.LittleEndian.Uint64(b[24:]),
		alt:         binary.LittleEndian.Uint64(b[32:]),
		firstUsable: binary.LittleEndian.Uint64(b[40:]),
		lastUsable:  binary.LittleEndian.Uint64(b[48:]),
		disk:        guidFromDisk(b[56:]),
		arrayLBA:    binary.LittleEndian.Uint64(b[72:]),
		entries:     binary.LittleEndian.Uint32(b[80:]),
		entrySize:   binary.LittleEndian.Uint32(b[84:]),
	}
	if h.my != lba {
		return h, nil, fmt.Errorf("header at LBA %d says it is at %d", lba, h.my)
	}
	if h.entrySize < gptEntrySize || h.entrySize%8 != 0 {
		return h, nil, fmt.Errorf("partition entry size %d", h.entrySize)
	}
	n := uint64(h.entries) * uint64(h.entrySize)
	if n > maxGPTArray || h.arrayLBA > (1<<63-1-maxGPTArray)/sectorSize {
		return h, nil, fmt.Errorf("partition array of %d bytes at LBA %d", n, h.arrayLBA)
	}
	array := make([]byte, n)
	if _, err := r.ReadAt(array, int64(h.arrayLBA)*sectorSize); err != nil {
		return h, nil, fmt.Errorf("read partition array at LBA %d: %w", h.arrayLBA, err)
	}
	if got, want := crc32.ChecksumIEEE(array), binary.LittleEndian.Uint32(b[88:]); got != want {
		return h, nil, fmt.Errorf("partition array CRC %#08x, want %#08x", got, want)
	}
	return h, array, nil
}
