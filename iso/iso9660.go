package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Minimal ISO 9660 / SUSP / Rock Ridge / El Torito readers: just what
// normalize and makeHybrid need, and what tests use to cross-check the
// external tools. Every parser here is fed arbitrary bytes by the fuzz tests,
// so all lengths are bounds-checked and all walks are bounded.

const (
	firstVDSector = 16
	// maxVDs bounds the volume descriptor scan on garbage input.
	maxVDs = 64
	// maxDirSize bounds one directory extent (go-diskfs directories of a
	// few thousand entries are well below this).
	maxDirSize = 16 << 20
	// maxDirs bounds a tree walk.
	maxDirs = 1 << 16
	// maxCEChain bounds SUSP continuation-area chains.
	maxCEChain = 32

	vdBoot       = 0
	vdPrimary    = 1
	vdSupplement = 2
	vdTerminator = 255

	// Offsets inside a volume descriptor.
	vdVolumeSpaceSize = 80
	vdPathTableSize   = 132
	vdPathTableL      = 140
	vdRootRecord      = 156
	vdCreation        = 813
	vdModification    = 830
	vdExpiration      = 847
	vdEffective       = 864
	vdBootCatalogPtr  = 0x47

	// Offsets inside a directory record.
	drExtent  = 2
	drSize    = 10
	drDate    = 18
	drFlags   = 25
	drNameLen = 32
	drName    = 33
	drMinLen  = 34
	flagDir   = 0x02
)

var (
	cd001      = []byte("CD001")
	elToritoID = []byte("EL TORITO SPECIFICATION")
)

// volumeDescriptors is the result of scanning the volume descriptor set.
type volumeDescriptors struct {
	primary     int64   // sector of the PVD
	supplements []int64 // sectors of SVDs (Joliet)
	boot        int64   // sector of the El Torito boot record, or -1
}

func readSector(r io.ReaderAt, sector int64) ([]byte, error) {
	b := make([]byte, isoBlock)
	if _, err := r.ReadAt(b, sector*isoBlock); err != nil {
		return nil, fmt.Errorf("read sector %d: %w", sector, err)
	}
	return b, nil
}

func scanVolumeDescriptors(r io.ReaderAt) (volumeDescriptors, error) {
	vds := volumeDescriptors{primary: -1, boot: -1}
	for s := int64(firstVDSector); s < firstVDSector+maxVDs; s++ {
		b, err := readSector(r, s)
		if err != nil {
			return vds, fmt.Errorf("volume descriptor: %w", err)
		}
		if !bytes.Equal(b[1:6], cd001) {
			return vds, fmt.Errorf("sector %d is not a volume descriptor", s)
		}
		switch b[0] {
		case vdTerminator:
			if vds.primary < 0 {
				return vds, errors.New("no primary volume descriptor")
			}
			return vds, nil
		case vdPrimary:
			if vds.primary < 0 {
				vds.primary = s
			}
		case vdSupplement:
			vds.supplements = append(vds.supplements, s)
		case vdBoot:
			if bytes.HasPrefix(b[7:39], elToritoID) && vds.boot < 0 {
				vds.boot = s
			}
		}
	}
	return vds, errors.New("no volume descriptor set terminator")
}

// dirRecord is a view of one directory record inside a directory buffer.
type dirRecord []byte

func (d dirRecord) extent() uint32 { return binary.LittleEndian.Uint32(d[drExtent:]) }
func (d dirRecord) size() uint32   { return binary.LittleEndian.Uint32(d[drSize:]) }
func (d dirRecord) isDir() bool    { return d[drFlags]&flagDir != 0 }
func (d dirRecord) name() []byte   { return d[drName : drName+int(d[drNameLen])] }

// isDotOrDotDot reports the "." (0x00) and ".." (0x01) records.
func (d dirRecord) isDotOrDotDot() bool {
	n := d.name()
	return len(n) == 1 && n[0] <= 1
}

// systemUse returns the System Use area after skipping skip bytes.
func (d dirRecord) systemUse(skip int) []byte {
	start := drName + int(d[drNameLen])
	if d[drNameLen]%2 == 0 {
		start++ // padding field keeps the System Use area even-aligned
	}
	start += skip
	if start >= len(d) {
		return nil
	}
	return d[start:]
}

// forEachRecord calls fn for every directory record in one directory
// extent. Records never span sectors; a zero length byte means "rest of
// this sector is padding".
func forEachRecord(buf []byte, fn func(dirRecord) error) error {
	for pos := 0; pos < len(buf); {
		n := int(buf[pos])
		if n == 0 {
			pos = (pos/isoBlock + 1) * isoBlock
			continue
		}
		if n < drMinLen || pos+n > len(buf) || pos/isoBlock != (pos+n-1)/isoBlock {
			return fmt.Errorf("bad directory record length %d at offset %d", n, pos)
		}
		rec := dirRecord(buf[pos : pos+n])
		if drName+int(rec[drNameLen]) > n {
			return fmt.Errorf("directory record name overflows record at offset %d", pos)
		}
		if err := fn(rec); err != nil {
			return err
		}
		pos += n
	}
	return nil
}

// dirExtent is one directory's data, read into memory.
type dirExtent struct {
	lba uint32
	buf []byte
}

// isoTree is a directory tree reached from one volume descriptor's root.
type isoTree struct {
	dirs []*dirExtent
	// subdirs counts subdirectories per directory extent (for nlink).
	subdirs map[uint32]int
	// files maps a regular file's extent to its size (for locating
	// /efiboot.img); path names are not needed.
	files map[uint32]uint32
	// susp reports a SUSP "SP" entry in the root; suspSkip is its
	// skip-bytes value.
	susp     bool
	suspSkip int
}

// readTree reads every directory reachable from the root record.
func readTree(r io.ReaderAt, root dirRecord) (*isoTree, error) {
	if len(root) < drMinLen || !root.isDir() {
		return nil, errors.New("root record is not a directory")
	}
	t := &isoTree{subdirs: map[uint32]int{}, files: map[uint32]uint32{}}
	queue := []dirRecord{root}
	seen := map[uint32]bool{}
	for len(queue) > 0 {
		rec := queue[0]
		queue = queue[1:]
		lba, size := rec.extent(), rec.size()
		if seen[lba] {
			continue
		}
		seen[lba] = true
		if len(t.dirs) >= maxDirs {
			return nil, errors.New("too many directories")
		}
		if size == 0 || size > maxDirSize {
			return nil, fmt.Errorf("directory at block %d has bad size %d", lba, size)
		}
		// Read whole blocks so records can be patched and written back.
		buf := make([]byte, (int(size)+isoBlock-1)/isoBlock*isoBlock)
		if _, err := r.ReadAt(buf, int64(lba)*isoBlock); err != nil {
			return nil, fmt.Errorf("read directory at block %d: %w", lba, err)
		}
		d := &dirExtent{lba: lba, buf: buf}
		if len(t.dirs) == 0 {
			// SUSP: the first record of the root ("." ) starts with SP.
			if err := forEachRecord(buf, func(first dirRecord) error {
				if su := first.systemUse(0); len(su) >= 7 && su[0] == 'S' && su[1] == 'P' &&
					su[2] >= 7 && su[4] == 0xBE && su[5] == 0xEF {
					t.susp, t.suspSkip = true, int(su[6])
				}
				return errStop
			}); err != nil && err != errStop {
				return nil, fmt.Errorf("root directory: %w", err)
			}
		}
		t.dirs = append(t.dirs, d)
		err := forEachRecord(buf, func(c dirRecord) error {
			if c.isDotOrDotDot() {
				return nil
			}
			if c.isDir() {
				t.subdirs[lba]++
				queue = append(queue, c)
			} else if c.size() >= t.files[c.extent()] {
				// Empty files share the extent of the next file; keep the
				// one that has data.
				t.files[c.extent()] = c.size()
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("directory at block %d: %w", lba, err)
		}
	}
	return t, nil
}

var errStop = errors.New("stop")

// readPathTable returns the directory extents listed in a volume
// descriptor's type-L path table, in path table order.
func readPathTable(r io.ReaderAt, vd []byte) ([]uint32, error) {
	size := binary.LittleEndian.Uint32(vd[vdPathTableSize:])
	if size > maxDirSize {
		return nil, fmt.Errorf("path table of %d bytes", size)
	}
	buf := make([]byte, size)
	if _, err := r.ReadAt(buf, int64(binary.LittleEndian.Uint32(vd[vdPathTableL:]))*isoBlock); err != nil {
		return nil, fmt.Errorf("read path table: %w", err)
	}
	var locs []uint32
	for pos := 0; pos < len(buf); {
		n := int(buf[pos])
		if n == 0 || pos+8+n > len(buf) {
			return nil, fmt.Errorf("bad path table record at offset %d", pos)
		}
		locs = append(locs, binary.LittleEndian.Uint32(buf[pos+2:]))
		pos += 8 + n + n%2
	}
	return locs, nil
}

// suspEntry is one System Use entry: 2-byte signature, length, version,
// data.
type suspEntry []byte

func (e suspEntry) sig() string { return string(e[:2]) }

// forEachSUSP calls fn for every entry in a System Use area and returns
// the continuation area (CE) it names, if any.
func forEachSUSP(area []byte, fn func(suspEntry)) (ce *ceRef) {
	for len(area) >= 4 {
		n := int(area[2])
		if n < 4 || n > len(area) {
			return ce
		}
		e := suspEntry(area[:n])
		switch e.sig() {
		case "ST":
			return ce
		case "CE":
			if n >= 28 {
				ce = &ceRef{
					block:  binary.LittleEndian.Uint32(e[4:]),
					offset: binary.LittleEndian.Uint32(e[12:]),
					length: binary.LittleEndian.Uint32(e[20:]),
				}
			}
		}
		fn(e)
		area = area[n:]
	}
	return ce
}

// ceRef locates a SUSP continuation area.
type ceRef struct{ block, offset, length uint32 }

// BootEntry is one El Torito boot catalog entry.
type BootEntry struct {
	Platform    uint8  // 0x00 x86 BIOS, 0xEF UEFI
	Bootable    bool   // boot indicator 0x88
	Emulation   uint8  // 0 = no emulation
	LoadSegment uint16 // 0 = default
	SystemType  uint8
	// SectorCount is the load size in 512-byte sectors (0 for UEFI
	// images too large for the 16-bit field).
	SectorCount uint16
	LBA         uint32 // 2048-byte ISO block of the image
}

// ElTorito is a parsed El Torito boot catalog.
type ElTorito struct {
	BootRecordSector int64  // sector of the boot record volume descriptor
	CatalogLBA       uint32 // 2048-byte block of the boot catalog
	Entries          []BootEntry
}

// ReadElTorito finds the El Torito boot record in an ISO image and parses
// its boot catalog (the first catalog sector: 64 entries).
func ReadElTorito(r io.ReaderAt) (*ElTorito, error) {
	vds, err := scanVolumeDescriptors(r)
	if err != nil {
		return nil, fmt.Errorf("iso: %w", err)
	}
	if vds.boot < 0 {
		return nil, errors.New("iso: no El Torito boot record volume descriptor")
	}
	br, err := readSector(r, vds.boot)
	if err != nil {
		return nil, fmt.Errorf("iso: boot record: %w", err)
	}
	et := &ElTorito{BootRecordSector: vds.boot, CatalogLBA: binary.LittleEndian.Uint32(br[vdBootCatalogPtr:])}
	cat, err := readSector(r, int64(et.CatalogLBA))
	if err != nil {
		return nil, fmt.Errorf("iso: boot catalog: %w", err)
	}
	if err := parseBootCatalog(cat, et); err != nil {
		return nil, fmt.Errorf("iso: boot catalog at block %d: %w", et.CatalogLBA, err)
	}
	return et, nil
}

func parseBootCatalog(cat []byte, et *ElTorito) error {
	const entryLen = 32
	v := cat[:entryLen]
	if v[0] != 0x01 || v[30] != 0x55 || v[31] != 0xAA {
		return errors.New("bad validation entry")
	}
	var sum uint16
	for i := 0; i < entryLen; i += 2 {
		sum += binary.LittleEndian.Uint16(v[i:])
	}
	if sum != 0 {
		return fmt.Errorf("validation entry checksum off by %#04x", sum)
	}
	parse := func(e []byte, platform uint8) BootEntry {
		return BootEntry{
			Platform:    platform,
			Bootable:    e[0] == 0x88,
			Emulation:   e[1] & 0x0F,
			LoadSegment: binary.LittleEndian.Uint16(e[2:]),
			SystemType:  e[4],
			SectorCount: binary.LittleEndian.Uint16(e[6:]),
			LBA:         binary.LittleEndian.Uint32(e[8:]),
		}
	}
	// The initial/default entry inherits the validation entry's platform.
	et.Entries = append(et.Entries, parse(cat[entryLen:2*entryLen], v[1]))
	for pos := 2 * entryLen; pos+entryLen <= len(cat); {
		h := cat[pos : pos+entryLen]
		if h[0] != 0x90 && h[0] != 0x91 {
			break // end of catalog
		}
		platform := h[1]
		n := int(binary.LittleEndian.Uint16(h[2:]))
		pos += entryLen
		for i := 0; i < n && pos+entryLen <= len(cat); i++ {
			e := cat[pos : pos+entryLen]
			pos += entryLen
			if e[0] == 0x44 { // extension entry
				i--
				continue
			}
			et.Entries = append(et.Entries, parse(e, platform))
		}
		if h[0] == 0x91 {
			break // last section header
		}
	}
	return nil
}

// sortDirRecords returns buf with its records (after "." and "..") in
// ECMA-119 9.3 order: by file name, then extension, each compared as if
// padded with spaces, then by version, highest first. go-diskfs orders them
// by the original (host) names and appends the boot catalog last. Records
// are repacked without crossing block boundaries; if the sorted records
// would not fit the directory's blocks, buf is returned unchanged.
func sortDirRecords(buf []byte, joliet bool) ([]byte, error) {
	var recs []dirRecord
	if err := forEachRecord(buf, func(r dirRecord) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(recs) < 2 || !recs[0].isDotOrDotDot() || !recs[1].isDotOrDotDot() {
		return buf, nil
	}
	type keyed struct {
		rec dirRecord
		key identKey
	}
	rest := make([]keyed, 0, len(recs)-2)
	for _, r := range recs[2:] {
		rest = append(rest, keyed{r, makeIdentKey(r.name(), joliet)})
	}
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].key.less(rest[j].key) })
	ordered := append(recs[:2:2], make([]dirRecord, 0, len(rest))...)
	for _, k := range rest {
		ordered = append(ordered, k.rec)
	}
	out := make([]byte, len(buf))
	pos := 0
	for _, r := range ordered {
		if pos%isoBlock+len(r) > isoBlock {
			pos = (pos/isoBlock + 1) * isoBlock
		}
		if pos+len(r) > len(out) {
			return buf, nil
		}
		copy(out[pos:], r)
		pos += len(r)
	}
	return out, nil
}

// identKey is a file identifier split into ECMA-119 9.3 sort fields, as
// 16-bit units (bytes for the primary tree, UCS-2 for Joliet).
type identKey struct{ name, ext, version []uint16 }

func makeIdentKey(id []byte, joliet bool) identKey {
	var u []uint16
	if joliet {
		for i := 0; i+1 < len(id); i += 2 {
			u = append(u, uint16(id[i])<<8|uint16(id[i+1]))
		}
	} else {
		for _, c := range id {
			u = append(u, uint16(c))
		}
	}
	var k identKey
	if i := indexUnit(u, ';'); i >= 0 {
		u, k.version = u[:i], u[i+1:]
	}
	if i := indexUnit(u, '.'); i >= 0 {
		u, k.ext = u[:i], u[i+1:]
	}
	k.name = u
	return k
}

func indexUnit(u []uint16, c uint16) int {
	for i, x := range u {
		if x == c {
			return i
		}
	}
	return -1
}

func (a identKey) less(b identKey) bool {
	if c := comparePadded(a.name, b.name); c != 0 {
		return c < 0
	}
	if c := comparePadded(a.ext, b.ext); c != 0 {
		return c < 0
	}
	return comparePadded(a.version, b.version) > 0 // higher versions first
}

// comparePadded compares a and b as if the shorter were padded with
// spaces (0x20), as ECMA-119 9.3 requires.
func comparePadded(a, b []uint16) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := uint16(' '), uint16(' ')
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
