package vfat

import (
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
)

// job is a validated Format request: everything is decided before the
// first byte is written, so that invalid options write nothing.
type job struct {
	opts     Options
	size     int64
	l        layout
	root     *node
	p        plan
	label    [11]byte
	hasLabel bool
	ts       dosTime
}

// Format writes a complete FAT filesystem of exactly size bytes to w
// starting at byte offset off. It writes only the reserved sectors, the
// FATs, the root directory, the clusters in use and the last sector (so
// that a file target reaches its full length), skipping zero FAT sectors
// where w shows them to be zero already; formatting a huge sparse file is
// therefore fast. The boot sector is written last, so an interrupted
// Format does not leave something that looks like a filesystem.
//
// Invalid options, a size too small for the FAT type (see ErrTooSmall) or
// a Source that does not fit are reported before anything is written.
// Errors reading Source or writing w can leave a partial filesystem.
func Format(w io.WriterAt, off, size int64, opts Options) error {
	if off < 0 {
		return fmt.Errorf("vfat: negative offset %d", off)
	}
	j, err := prepare(size, opts)
	if err != nil {
		return err
	}
	return j.write(w, off)
}

// prepare validates opts and plans the filesystem.
func prepare(size int64, opts Options) (*job, error) {
	root, err := scanTree(opts.Source)
	if err != nil {
		return nil, err
	}
	return prepareTree(size, opts, root)
}

// prepareTree is prepare for an already scanned tree, so that MinSize can
// try many sizes while reading Source once.
func prepareTree(size int64, opts Options, root *node) (*job, error) {
	label, err := volumeLabel(opts.Label)
	if err != nil {
		return nil, err
	}
	l, err := newLayout(size, &opts)
	if err != nil {
		return nil, err
	}
	j := &job{
		opts:     opts,
		size:     size,
		l:        l,
		root:     root,
		label:    label,
		hasLabel: string(label[:]) != noLabel,
		ts:       toDOSTime(opts.modTime()),
	}
	j.p, err = allocate(root, &j.l, j.hasLabel)
	if errors.Is(err, errRootFull) && opts.FATType == 0 {
		// Choosing the type is ours: a root too big for FAT12/16 is a
		// reason to pick FAT32, if the size allows it.
		opts.FATType = 32
		if l32, err32 := newLayout(size, &opts); err32 == nil {
			j.l = l32
			j.p, err = allocate(root, &j.l, j.hasLabel)
		}
	}
	if err != nil {
		return nil, err
	}
	return j, nil
}

// write puts the planned filesystem on w at off.
func (j *job) write(w io.WriterAt, off int64) error {
	l := &j.l
	ss := int64(l.sectorSize)
	dataEnd := l.clusterOffset(2 + j.p.used)
	if last := (int64(l.totalSectors) - 1) * ss; last >= dataEnd {
		if _, err := w.WriteAt(make([]byte, ss), off+last); err != nil {
			return fmt.Errorf("vfat: writing the last sector: %w", err)
		}
	}

	// The content feeds the derived volume ID only; hashing megabytes of
	// files is most of Format's CPU time on a slow machine, so skip it
	// when the ID is given.
	var h hash.Hash32
	var sum io.Writer = io.Discard
	if j.opts.VolumeID == 0 {
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
		sum = h
		fmt.Fprintf(h, "%q %d %d %d %d %d %d\n", j.label, j.size, l.fatType, l.spc, l.sectorSize, j.opts.HiddenSectors, j.ts)
	}
	if err := j.writeData(w, off+l.clusterOffset(2), sum); err != nil {
		return err
	}
	if l.fatType != 32 {
		root := make([]byte, int64(l.rootSectors)*ss)
		j.encodeDir(root, j.root)
		if _, err := w.WriteAt(root, off+l.rootOffset()); err != nil {
			return fmt.Errorf("vfat: writing the root directory: %w", err)
		}
	}
	if err := j.writeFATs(w, off); err != nil {
		return err
	}
	volID := j.opts.VolumeID
	if h != nil {
		volID = h.Sum32() | 1 // never 0, which would read as "none"
	}
	if _, err := w.WriteAt(j.reservedArea(volID), off); err != nil {
		return fmt.Errorf("vfat: writing the boot sector: %w", err)
	}
	return nil
}

// writeFATs writes both FATs: the chains of the plan, zeros (free) after.
func (j *job) writeFATs(w io.WriterAt, off int64) error {
	l := &j.l
	head := fatHead(l, &j.p)
	fatLen := int64(l.fatSectors) * int64(l.sectorSize)
	zero := make([]byte, max(1, min(fatLen-int64(len(head)), bufSize)))
	for i := range numFATs {
		at := off + l.fatOffset(i)
		if _, err := w.WriteAt(head, at); err != nil {
			return fmt.Errorf("vfat: writing FAT %d: %w", i+1, err)
		}
		if err := zeroFill(w, at+int64(len(head)), fatLen-int64(len(head)), zero); err != nil {
			return err
		}
	}
	return nil
}

// writeData writes every planned directory and file, in cluster order,
// as one sequential run starting at off, feeding names and contents to h.
func (j *job) writeData(w io.WriterAt, off int64, h io.Writer) error {
	sw := newSeqWriter(w, off)
	cs := j.l.clusterSize()
	for _, n := range j.p.items {
		span := int64(n.nclus) * cs
		if n.dir {
			b := make([]byte, span)
			j.encodeDir(b, n)
			h.Write(b)
			if _, err := sw.Write(b); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(h, "%q %d\n", n.path, n.size)
		if err := j.copyFile(sw, n, h); err != nil {
			return err
		}
		if err := sw.zeros(span - n.size); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// copyFile copies one file of Source into sw: from its own memory when it
// can write itself (io.WriterTo), else through sw's buffer.
func (j *job) copyFile(sw *seqWriter, n *node, h io.Writer) error {
	f, err := j.opts.Source.Open(n.path)
	if err != nil {
		return fmt.Errorf("vfat: reading source: %w", err)
	}
	defer f.Close()
	fw := &fileWriter{sw: sw, left: n.size, h: h}
	if wt, ok := f.(io.WriterTo); ok {
		_, err = wt.WriteTo(fw)
	} else {
		_, err = fw.ReadFrom(f)
	}
	if err == nil && fw.left > 0 {
		err = fmt.Errorf("%w (%d bytes missing)", errShrank, fw.left)
	}
	if err != nil {
		return fmt.Errorf("vfat: copying %s: %w", n.path, err)
	}
	return nil
}

// encodeDir fills b with the entries of directory d.
func (j *job) encodeDir(b []byte, d *node) {
	at := 0
	entry := func() []byte { e := b[at : at+dirEntrySize]; at += dirEntrySize; return e }
	if d == j.root {
		if j.hasLabel {
			putShortEntry(entry(), j.label, attrVolumeID, 0, 0, j.ts)
		}
	} else {
		// ".." of a child of the root points at cluster 0, whatever the
		// root's real cluster: this is the rule go-diskfs breaks.
		putShortEntry(entry(), packShort(".", ""), attrDirectory, d.first, 0, j.ts)
		parent := d.parent.first
		if d.parent == j.root {
			parent = 0
		}
		putShortEntry(entry(), packShort("..", ""), attrDirectory, parent, 0, j.ts)
	}
	for _, c := range d.children {
		if c.lfn {
			at += putLFNEntries(b[at:], c.name, lfnChecksum(c.short))
		}
		attr, size := byte(attrArchive), uint32(c.size)
		if c.dir {
			attr, size = attrDirectory, 0
		}
		putShortEntry(entry(), c.short, attr, c.first, size, j.ts)
	}
}

// reservedArea returns the sectors before the first FAT: the boot sector
// and, for FAT32, FSInfo and their backups.
func (j *job) reservedArea(volID uint32) []byte {
	l := &j.l
	ss := l.sectorSize
	b := make([]byte, int(l.reserved)*ss)
	boot := encodeBootSector(l, j.label, volID, j.opts.HiddenSectors)
	copy(b, boot)
	if l.fatType == 32 {
		free := l.clusters - j.p.used
		next := 2 + j.p.used
		if free == 0 {
			next = fsInfoUnknown
		}
		info := encodeFSInfo(ss, free, next)
		copy(b[fsInfoSector*ss:], info)
		copy(b[backupBootSector*ss:], boot)
		copy(b[(backupBootSector+1)*ss:], info)
	}
	return b
}

// MinSize returns a size in bytes, a multiple of 1 MiB, that holds src
// with some slack (about 1/16 more, at least 1 MiB) when formatted with
// opts, for building images sized to their content. opts.Source is
// ignored in favour of src.
func MinSize(src fs.FS, opts Options) (int64, error) {
	root, err := scanTree(src)
	if err != nil {
		return 0, err
	}
	opts.Source = src
	ss, err := opts.sectorSize()
	if err != nil {
		return 0, err
	}
	limit := int64(math.MaxUint32) * int64(ss) // the largest filesystem
	var lastSmall error
	// fits reports whether size works; err is set when trying larger
	// sizes cannot help.
	fits := func(size int64) (bool, error) {
		_, err := prepareTree(size, opts, root)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, ErrTooSmall) && size < limit:
			lastSmall = err
			return false, nil
		case lastSmall != nil:
			return false, lastSmall // e.g. "too large for FAT16" after "root directory full"
		}
		return false, err
	}
	// The size needed does not grow monotonically with the content (cluster
	// sizes and FAT types change with the size), so walk upwards in small
	// steps from the raw content size rather than bisect.
	step := func(size int64) int64 { return roundMiB(size + max(1<<20, size/64)) }
	size := roundMiB(contentBytes(root))
	for ; ; size = step(size) {
		ok, err := fits(size)
		if err != nil {
			return 0, err
		}
		if ok {
			break
		}
	}
	// Add the slack, unless no larger size works (FAT12/16 near their
	// largest size).
	for slack := roundMiB(size + max(1<<20, size/16)); ; slack = step(slack) {
		ok, err := fits(slack)
		if err != nil {
			return size, nil
		}
		if ok {
			return slack, nil
		}
	}
}

// roundMiB rounds n up to a whole MiB.
func roundMiB(n int64) int64 { return (n + 1<<20 - 1) &^ (1<<20 - 1) }

// contentBytes is a lower bound on the bytes the tree needs.
func contentBytes(d *node) int64 {
	n := int64(len(d.children)+2) * dirEntrySize
	for _, c := range d.children {
		if c.dir {
			n += contentBytes(c)
		} else {
			n += c.size
		}
	}
	return n
}
