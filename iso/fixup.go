package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// readerWriterAt is what normalize patches: an *os.File in production, a
// byte buffer in the fuzz test.
type readerWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// normalize rewrites everything go-diskfs derives from the clock or the
// build host (see the package doc) so the image is a pure function of the
// Options.
func normalize(f readerWriterAt, mod time.Time) error {
	if err := normalizeISO(f, mod); err != nil {
		return fmt.Errorf("iso: normalize go-diskfs output: %w", err)
	}
	return nil
}

func normalizeISO(f readerWriterAt, mod time.Time) error {
	vds, err := scanVolumeDescriptors(f)
	if err != nil {
		return err
	}
	// El Torito requires the boot record at sector 17; go-diskfs puts the
	// Joliet SVD there when Joliet is on. Descriptors are position
	// independent, so swapping the two sectors is safe.
	const bootSector = firstVDSector + 1
	if vds.boot > bootSector {
		if err := swapSectors(f, vds.boot, bootSector); err != nil {
			return err
		}
		if vds, err = scanVolumeDescriptors(f); err != nil {
			return err
		}
	}

	var catalog uint32
	if vds.boot >= 0 {
		br, err := readSector(f, vds.boot)
		if err != nil {
			return err
		}
		catalog = binary.LittleEndian.Uint32(br[vdBootCatalogPtr:])
	}
	pvd, err := readSector(f, vds.primary)
	if err != nil {
		return err
	}

	fx := fixer{f: f, catalog: catalog, dates: stamps{volume: volumeDate(mod), record: recordDate(mod)}}
	for _, s := range append([]int64{vds.primary}, vds.supplements...) {
		vd, err := readSector(f, s)
		if err != nil {
			return err
		}
		if s != vds.primary {
			if err := fixJolietDirLinks(f, pvd, vd); err != nil {
				return fmt.Errorf("volume descriptor %d: %w", s, err)
			}
		}
		dates := fx.dates
		padIdentifiers(vd, s != vds.primary)
		copy(vd[vdCreation:], dates.volume)
		copy(vd[vdModification:], dates.volume)
		// xorriso leaves expiration and effective dates unspecified.
		copy(vd[vdExpiration:], unspecifiedVolumeDate)
		copy(vd[vdEffective:], unspecifiedVolumeDate)
		root := dirRecord(vd[vdRootRecord : vdRootRecord+drMinLen])
		copy(root[drDate:], dates.record)
		roundDirSize(root)
		if _, err := f.WriteAt(vd, s*isoBlock); err != nil {
			return fmt.Errorf("write volume descriptor %d: %w", s, err)
		}
		t, err := readTree(f, root)
		if err != nil {
			return fmt.Errorf("volume descriptor %d: %w", s, err)
		}
		fx.joliet = s != vds.primary
		if err := fx.tree(t); err != nil {
			return fmt.Errorf("volume descriptor %d: %w", s, err)
		}
	}
	return nil
}

// vdTextFields are the volume descriptor's a-/d-character fields:
// system, volume, volume set, publisher, preparer and application
// identifiers, and the copyright, abstract and bibliographic file names.
var vdTextFields = [][2]int{{8, 40}, {40, 72}, {190, 318}, {318, 446}, {446, 574}, {574, 702}, {702, 739}, {739, 776}, {776, 813}}

// padIdentifiers pads text fields with spaces as ECMA-119 requires (go-diskfs
// pads with NULs, so readers showed "PLINTH\0\0..."). Joliet fields hold
// UCS-2BE and are padded with U+0020, as xorriso does.
func padIdentifiers(vd []byte, joliet bool) {
	for _, fl := range vdTextFields {
		field := vd[fl[0]:fl[1]]
		if !joliet {
			end := len(bytes.TrimRight(field, "\x00"))
			for i := end; i < len(field); i++ {
				field[i] = ' '
			}
			continue
		}
		end := len(field) &^ 1
		for end >= 2 && field[end-2] == 0 && field[end-1] == 0 {
			end -= 2
		}
		for i := end; i+1 < len(field); i += 2 {
			field[i], field[i+1] = 0x00, ' '
		}
	}
}

func swapSectors(f readerWriterAt, a, b int64) error {
	sa, err := readSector(f, a)
	if err != nil {
		return err
	}
	sb, err := readSector(f, b)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(sb, a*isoBlock); err != nil {
		return fmt.Errorf("write sector %d: %w", a, err)
	}
	if _, err := f.WriteAt(sa, b*isoBlock); err != nil {
		return fmt.Errorf("write sector %d: %w", b, err)
	}
	return nil
}

// fixJolietDirLinks works around go-diskfs v1.9.4 pointing subdirectory
// records of the Joliet tree at the primary tree's directory extents (so
// Joliet readers saw 8.3 names below the root). Both path tables list the
// directories in the same order, which gives the primary→Joliet mapping;
// records that already point at Joliet extents are left alone.
func fixJolietDirLinks(f readerWriterAt, pvd, svd []byte) error {
	plocs, err := readPathTable(f, pvd)
	if err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	jlocs, err := readPathTable(f, svd)
	if err != nil {
		return fmt.Errorf("joliet: %w", err)
	}
	if len(plocs) != len(jlocs) {
		return fmt.Errorf("path tables list %d primary but %d Joliet directories", len(plocs), len(jlocs))
	}
	if len(jlocs) > maxDirs {
		return errors.New("too many directories")
	}
	type target struct{ lba, size uint32 }
	toJoliet := map[uint32]target{}
	bufs := map[uint32][]byte{}
	for i, jl := range jlocs {
		if _, dup := bufs[jl]; dup {
			return fmt.Errorf("Joliet directory block %d listed twice", jl)
		}
		buf, err := readDirAt(f, jl)
		if err != nil {
			return err
		}
		bufs[jl] = buf
		toJoliet[plocs[i]] = target{jl, dirRecord(buf).size()}
	}
	for _, jl := range jlocs {
		buf := bufs[jl]
		err := forEachRecord(buf, func(rec dirRecord) error {
			if rec.isDir() && !rec.isDotOrDotDot() {
				if t, ok := toJoliet[rec.extent()]; ok {
					putBoth32(rec[drExtent:], t.lba)
					putBoth32(rec[drSize:], t.size)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("Joliet directory at block %d: %w", jl, err)
		}
		if _, err := f.WriteAt(buf, int64(jl)*isoBlock); err != nil {
			return fmt.Errorf("write Joliet directory at block %d: %w", jl, err)
		}
	}
	return nil
}

// readDirAt reads the directory whose extent starts at lba, taking its
// size from its own "." record.
func readDirAt(r io.ReaderAt, lba uint32) ([]byte, error) {
	first, err := readSector(r, int64(lba))
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	dot := dirRecord(first)
	if first[0] < drMinLen || !dot.isDir() {
		return nil, fmt.Errorf("block %d does not start with a directory's \".\" record", lba)
	}
	size := dot.size()
	if size == 0 || size > maxDirSize {
		return nil, fmt.Errorf("directory at block %d has bad size %d", lba, size)
	}
	buf := make([]byte, (int(size)+isoBlock-1)/isoBlock*isoBlock)
	if _, err := r.ReadAt(buf, int64(lba)*isoBlock); err != nil {
		return nil, fmt.Errorf("read directory at block %d: %w", lba, err)
	}
	return buf, nil
}

// roundDirSize rounds a directory record's data length up to whole
// blocks, as mkisofs and xorriso record it (go-diskfs records the bytes
// used). The rest of the last block is zero, which readers skip.
func roundDirSize(rec dirRecord) {
	if rec.isDir() {
		putBoth32(rec[drSize:], (rec.size()+isoBlock-1)/isoBlock*isoBlock)
	}
}

// fixer patches directory trees.
type fixer struct {
	f       readerWriterAt
	catalog uint32 // block of the El Torito boot catalog, 0 if none
	dates   stamps
	joliet  bool // names are UCS-2 (an SVD's tree)
}

// tree patches every directory record of t (and its Rock Ridge entries,
// including those in continuation areas) and writes it back.
func (fx fixer) tree(t *isoTree) error {
	f, dates := fx.f, fx.dates
	for _, d := range t.dirs {
		sorted, err := sortDirRecords(d.buf, fx.joliet)
		if err != nil {
			return fmt.Errorf("directory at block %d: %w", d.lba, err)
		}
		d.buf = sorted
		first := true
		err = forEachRecord(d.buf, func(rec dirRecord) error {
			copy(rec[drDate:], dates.record)
			roundDirSize(rec)
			if !t.susp {
				return nil
			}
			skip := t.suspSkip
			if first && d == t.dirs[0] {
				skip = 0 // skip bytes do not apply to the root's "." record
			}
			first = false
			px := pxFix{nlink: 1}
			switch {
			case rec.isDir():
				px.nlink = 2 + uint32(t.subdirs[rec.extent()])
			case fx.catalog != 0 && rec.extent() == fx.catalog:
				// go-diskfs gives the catalog mode 0; xorriso uses 0444.
				px.mode = sIFREG | 0o444
			}
			patch := func(e suspEntry) { patchRockRidge(e, dates, px) }
			ce := forEachSUSP(rec.systemUse(skip), patch)
			for i := 0; ce != nil; i++ {
				if i >= maxCEChain {
					return fmt.Errorf("SUSP continuation chain longer than %d", maxCEChain)
				}
				cur := *ce
				area, err := readCE(f, cur)
				if err != nil {
					return err
				}
				ce = forEachSUSP(area, patch)
				if _, err := f.WriteAt(area, int64(cur.block)*isoBlock+int64(cur.offset)); err != nil {
					return fmt.Errorf("write continuation area: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("directory at block %d: %w", d.lba, err)
		}
		if _, err := f.WriteAt(d.buf, int64(d.lba)*isoBlock); err != nil {
			return fmt.Errorf("write directory at block %d: %w", d.lba, err)
		}
	}
	return nil
}

func readCE(r io.ReaderAt, ce ceRef) ([]byte, error) {
	if ce.offset >= isoBlock || ce.length > isoBlock-ce.offset {
		return nil, fmt.Errorf("continuation area %+v exceeds its block", ce)
	}
	area := make([]byte, ce.length)
	if _, err := r.ReadAt(area, int64(ce.block)*isoBlock+int64(ce.offset)); err != nil {
		return nil, fmt.Errorf("read continuation area: %w", err)
	}
	return area, nil
}

// patchRockRidge makes TF timestamps, PX owner and PX link count
// deterministic.
func patchRockRidge(e suspEntry, dates stamps, px pxFix) {
	switch e.sig() {
	case "TF":
		if len(e) < 5 {
			return
		}
		flags := e[4]
		stamp := dates.record
		if flags&0x80 != 0 { // long form
			stamp = dates.volume
		}
		for i := 0; i < bits.OnesCount8(flags&0x7F); i++ {
			off := 5 + i*len(stamp)
			if off+len(stamp) > len(e) {
				return
			}
			copy(e[off:], stamp)
		}
	case "PX":
		if len(e) < 36 {
			return
		}
		if px.mode != 0 {
			putBoth32(e[4:], px.mode)
		}
		putBoth32(e[12:], px.nlink)
		putBoth32(e[20:], 0) // uid
		putBoth32(e[28:], 0) // gid
	}
}

// sIFREG is the POSIX regular-file type bit in a PX mode.
const sIFREG = 0o100000

// pxFix is what patchRockRidge writes into a PX entry.
type pxFix struct {
	nlink uint32
	mode  uint32 // 0 = keep
}

// putBoth32 writes ISO 9660's "both-byte order" 32-bit field.
func putBoth32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

// stamps holds ModTime in the two on-disk date formats.
type stamps struct {
	volume []byte // 17-byte volume descriptor / TF long form
	record []byte // 7-byte directory record / TF short form
}

var unspecifiedVolumeDate = append([]byte("0000000000000000"), 0)

// volumeDate formats a volume descriptor date (ECMA-119 8.4.26.1) in UTC.
func volumeDate(t time.Time) []byte {
	t = t.UTC()
	s := fmt.Sprintf("%04d%02d%02d%02d%02d%02d%02d", t.Year(), t.Month(), t.Day(),
		t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e7)
	return append([]byte(s), 0)
}

// recordDate formats a directory record / TF short-form date (ECMA-119
// 9.1.5) in UTC.
func recordDate(t time.Time) []byte {
	t = t.UTC()
	return []byte{byte(t.Year() - 1900), byte(t.Month()), byte(t.Day()),
		byte(t.Hour()), byte(t.Minute()), byte(t.Second()), 0}
}
