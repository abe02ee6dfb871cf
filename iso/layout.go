package iso

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// gptTailBytes is what the backup GPT needs at the end of the file: a
// 128-entry partition array (16 KiB) and the header, in 512-byte sectors.
const gptTailBytes = (128*128/sectorSize + 1) * sectorSize

// sectorSize is the GPT's logical block size: what a USB stick has.
const sectorSize = 512

// image is the layout of one ISO: every node's extent and size are
// assigned before the first byte is written.
type image struct {
	opts     *Options
	date     [7]byte
	root     *node
	catalog  *node
	efi      *node
	dirs     []*node // primary directories in path table order
	jdirs    []*node // Joliet directories in path table order; nil without Joliet
	dataList []*node // files in extent order

	pathL, pathM, pathSize    uint32 // primary path tables
	jpathL, jpathM, jpathSize uint32 // Joliet path tables
	isoEnd                    uint32 // end of the ISO 9660 data, in blocks
	total                     uint32 // blocks in the file, including the backup GPT
}

// newImage lays out the image for opts, block by block: system area (16
// blocks), volume descriptors, primary directories each followed by its
// Continuation Areas, primary path tables (L, M), Joliet directories,
// Joliet path tables, /efiboot.img, the boot catalog, the extra files in
// path order, and room for the backup GPT.
func newImage(opts *Options) (*image, error) {
	img := &image{opts: opts, date: recordDate(opts.modTime())}
	img.catalog = newFile(BootCatalogPath[1:], nil, 0o444)
	img.catalog.size = blockSize
	img.efi = newFile(EFIBootImagePath[1:], opts.EFIBootImage, 0o644)
	var files []*node
	img.root, files = buildTree(opts, img.catalog, img.efi)
	img.dataList = append([]*node{img.efi, img.catalog}, files...)
	img.dirs = directories(img.root, false)
	if opts.Joliet {
		img.jdirs = directories(img.root, true)
	}
	if len(img.dirs) > math.MaxUint16 {
		return nil, fmt.Errorf("iso: %d directories, more than a path table can number (%d)", len(img.dirs), math.MaxUint16)
	}
	if err := img.assignExtents(); err != nil {
		return nil, err
	}
	img.catalog.data = bootCatalog{sectorCount: efiSectorCount(len(opts.EFIBootImage)), loadRBA: img.efi.extent}.bytes()
	return img, nil
}

// allocator hands out consecutive blocks.
type allocator struct{ next uint64 }

func (a *allocator) take(n int) uint32 {
	lba := a.next
	a.next += uint64(blocks(int64(n)))
	return uint32(lba) // assignExtents checks the end fits
}

func (img *image) assignExtents() error {
	a := allocator{next: firstVDBlock + uint64(len(img.volumeDescriptors()))}
	for i, d := range img.dirs {
		d.num = uint16(i + 1)
	}
	for i, d := range img.jdirs {
		d.jnum = uint16(i + 1)
	}
	for _, d := range img.dirs {
		recs, ce := img.primaryRecords(d) // sizes only: extents are not final yet
		d.size = uint32(len(packRecords(recs)))
		d.extent = a.take(int(d.size))
		d.ce = a.take(len(ce))
	}
	img.pathSize = uint32(len(img.pathTable(false, binary.LittleEndian)))
	img.pathL, img.pathM = a.take(int(img.pathSize)), a.take(int(img.pathSize))
	for _, d := range img.jdirs {
		d.jsize = uint32(len(packRecords(img.jolietRecords(d))))
		d.jextent = a.take(int(d.jsize))
	}
	if img.opts.Joliet {
		img.jpathSize = uint32(len(img.pathTable(true, binary.LittleEndian)))
		img.jpathL, img.jpathM = a.take(int(img.jpathSize)), a.take(int(img.jpathSize))
	}
	for _, f := range img.dataList {
		f.extent = a.take(int(f.size))
	}
	end := a.next
	total := uint64(blocks(int64(end)*blockSize + gptTailBytes))
	if total > math.MaxUint32 {
		return errors.New("iso: image larger than ISO 9660's 2^32 blocks")
	}
	img.isoEnd, img.total = uint32(end), uint32(total)
	return nil
}

// volumeDescriptors returns the volume descriptor set (6.7.1): the
// primary, the El Torito boot record at sector 17 as El Torito requires,
// the Joliet supplementary descriptor, the terminator.
func (img *image) volumeDescriptors() [][]byte {
	pvd := volumeDescriptor{
		volumeID:      img.opts.VolumeID,
		spaceSize:     img.total,
		pathTableSize: img.pathSize,
		pathTableL:    img.pathL,
		pathTableM:    img.pathM,
		root:          dirRecord{extent: img.root.extent, size: img.root.size, date: img.date, flags: flagDirectory, id: []byte{0}},
		date:          img.opts.modTime(),
	}
	vds := [][]byte{pvd.bytes(), bootRecord(img.catalog.extent)}
	if img.opts.Joliet {
		svd := pvd
		svd.joliet = true
		svd.pathTableSize, svd.pathTableL, svd.pathTableM = img.jpathSize, img.jpathL, img.jpathM
		svd.root.extent, svd.root.size = img.root.jextent, img.root.jsize
		vds = append(vds, svd.bytes())
	}
	return append(vds, terminator())
}

// primaryRecords returns directory d's records in the primary tree, with
// their Rock Ridge entries, and its Continuation Areas (whole blocks).
// Record lengths do not depend on extents, so the layout sizes d with the
// same call that writes it.
func (img *image) primaryRecords(d *node) ([]dirRecord, []byte) {
	ce := ceAreas{first: d.ce}
	var recs []dirRecord
	add := func(n *node, id []byte, fixed, movable []suspEntry) {
		r := dirRecord{extent: n.extent, size: n.size, date: img.date, id: id}
		if n.dir {
			r.flags = flagDirectory
		}
		su := splitSystemUse(r.idEnd(), fixed, movable)
		var ceEntry suspEntry
		if len(su.moved) > 0 {
			ceEntry = ce.add(su.movedBytes())
		}
		r.systemUse = su.bytes(ceEntry)
		recs = append(recs, r)
	}
	attrs := func(n *node) []suspEntry {
		return []suspEntry{entryPX(n.mode, n.links()), entryTF(img.date)}
	}
	if d == img.root {
		// SUSP 5.3/5.5: SP first in the root's "." record, and the
		// Extension Reference that announces Rock Ridge.
		add(d, []byte{0}, append([]suspEntry{entrySP()}, attrs(d)...), []suspEntry{entryER()})
	} else {
		add(d, []byte{0}, attrs(d), nil)
	}
	add(d.parent, []byte{1}, attrs(d.parent), nil)
	for _, c := range d.children {
		add(c, c.isoID, attrs(c), entriesNM(c.name))
	}
	return recs, padBlock(ce.buf)
}

// jolietRecords returns directory d's records in the Joliet tree. Files
// share their data with the primary tree; directories have their own
// records.
func (img *image) jolietRecords(d *node) []dirRecord {
	dir := func(n *node, id []byte) dirRecord {
		return dirRecord{extent: n.jextent, size: n.jsize, date: img.date, flags: flagDirectory, id: id}
	}
	recs := []dirRecord{dir(d, []byte{0}), dir(d.parent, []byte{1})}
	for _, c := range d.jchildren {
		if c.dir {
			recs = append(recs, dir(c, c.jolietID))
		} else {
			recs = append(recs, dirRecord{extent: c.extent, size: c.size, date: img.date, id: c.jolietID})
		}
	}
	return recs
}

// pathTable returns the primary or Joliet path table (9.4) in the byte
// order of a type L or type M table.
func (img *image) pathTable(joliet bool, order binary.ByteOrder) []byte {
	var b []byte
	dirs := img.dirs
	if joliet {
		dirs = img.jdirs
	}
	for _, d := range dirs {
		r := pathRecord{extent: d.extent, parent: d.parent.num, id: d.isoID}
		if joliet {
			r = pathRecord{extent: d.jextent, parent: d.parent.jnum, id: d.jolietID}
		}
		if d == img.root {
			r.id = []byte{0}
		}
		b = r.appendTo(b, order)
	}
	return b
}
