package vfat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// FS is a read-only FAT filesystem, for tests and verification. It
// implements fs.FS, fs.ReadDirFS, fs.ReadFileFS and fs.StatFS. Names are
// matched exactly first, then without regard to case as FAT does.
type FS struct {
	r   io.ReaderAt
	off int64
	bs  BootSector

	mu       sync.Mutex // guards the FAT cache
	fatBlock []byte
	fatAt    int64 // offset of fatBlock, -1 for none
}

const fatCacheSize = 64 << 10

// Open reads the filesystem of size bytes at offset off of r. It checks
// the boot sector; everything else is checked as it is read.
func Open(r io.ReaderAt, off, size int64) (*FS, error) {
	b := make([]byte, minSectorSize)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("vfat: reading the boot sector: %w", err)
	}
	bs, err := ParseBootSector(b)
	if err != nil {
		return nil, err
	}
	if need := int64(bs.TotalSectors) * int64(bs.BytesPerSector); need > size {
		return nil, fmt.Errorf("vfat: filesystem spans %d bytes, more than the %d available", need, size)
	}
	return &FS{r: r, off: off, bs: *bs, fatAt: -1}, nil
}

// BootSector returns the parsed boot sector.
func (f *FS) BootSector() BootSector { return f.bs }

// Label returns the volume label: the root directory's label entry, as
// Windows and Linux show it, else the boot sector's. "NO NAME" means none.
func (f *FS) Label() (string, error) {
	d, err := f.readDir(f.rootEntry())
	if err != nil {
		return "", err
	}
	if d.label != "" {
		return d.label, nil
	}
	return f.bs.Label, nil
}

func (f *FS) clusterSize() int64 { return int64(f.bs.SectorsPerCluster) * int64(f.bs.BytesPerSector) }

func (f *FS) clusterOffset(c uint32) int64 {
	return f.off + int64(f.bs.DataSector)*int64(f.bs.BytesPerSector) + int64(c-2)*f.clusterSize()
}

// rootEntry returns a synthetic entry for the root directory.
func (f *FS) rootEntry() *DirEntry {
	return &DirEntry{name: ".", attr: attrDirectory, cluster: f.bs.RootCluster}
}

// fatEntry returns FAT entry n of the first FAT, reading the FAT through
// a small cache so that walking a chain costs few reads.
func (f *FS) fatEntry(n uint32) (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ss := int64(f.bs.BytesPerSector)
	fatLen := int64(f.bs.FATSectors) * ss
	pos, width := int64(n)*int64(f.bs.FATType/8), int64(f.bs.FATType/8)
	if f.bs.FATType == 12 {
		pos, width = int64(n)+int64(n)/2, 2
	}
	if pos+width > fatLen {
		return 0, fmt.Errorf("vfat: FAT entry %d beyond the FAT", n)
	}
	if f.fatAt < 0 || pos < f.fatAt || pos+width > f.fatAt+int64(len(f.fatBlock)) {
		// Start at the entry's sector: the block then always holds the
		// whole entry, even a FAT12 one straddling two sectors.
		start := pos / ss * ss
		size := min(fatCacheSize, fatLen-start)
		if int64(cap(f.fatBlock)) < size {
			f.fatBlock = make([]byte, size)
		}
		f.fatBlock, f.fatAt = f.fatBlock[:size], -1
		if _, err := f.r.ReadAt(f.fatBlock, f.off+int64(f.bs.ReservedSectors)*ss+start); err != nil {
			return 0, fmt.Errorf("vfat: reading the FAT: %w", err)
		}
		f.fatAt = start
	}
	b := f.fatBlock[pos-f.fatAt:]
	switch f.bs.FATType {
	case 12:
		v := uint32(b[0]) | uint32(b[1])<<8
		if n&1 == 1 {
			return v >> 4, nil
		}
		return v & 0xFFF, nil
	case 16:
		return uint32(b[0]) | uint32(b[1])<<8, nil
	}
	return getFATEntry(b, 32, 0), nil
}

// chain returns the clusters of the chain starting at first, up to limit
// clusters; it stops at the end-of-chain mark and rejects free, bad,
// out-of-range or repeated links, so a corrupt FAT cannot make it loop or
// panic.
func (f *FS) chain(first uint32, limit int) ([]uint32, error) {
	eoc := endOfChain(f.bs.FATType)
	var out []uint32
	seen := make(map[uint32]bool)
	for c := first; len(out) < limit; {
		if c < 2 || uint64(c) > uint64(f.bs.Clusters)+1 {
			return nil, fmt.Errorf("vfat: cluster %d out of range in chain from %d", c, first)
		}
		if seen[c] {
			return nil, fmt.Errorf("vfat: chain from cluster %d loops at %d", first, c)
		}
		seen[c] = true
		out = append(out, c)
		next, err := f.fatEntry(c)
		if err != nil {
			return nil, err
		}
		if next >= eoc&^7 { // 0xFF8-0xFFF and their FAT16/32 kin
			break
		}
		c = next
	}
	return out, nil
}

// readDir reads and parses the directory of entry e.
func (f *FS) readDir(e *DirEntry) (dirContents, error) {
	var b []byte
	switch {
	case e.cluster == 0 && e.name == "." && f.bs.FATType != 32:
		b = make([]byte, int64(f.bs.RootSectors)*int64(f.bs.BytesPerSector))
		at := f.off + int64(f.bs.ReservedSectors+f.bs.NumFATs*int(f.bs.FATSectors))*int64(f.bs.BytesPerSector)
		if _, err := f.r.ReadAt(b, at); err != nil {
			return dirContents{}, fmt.Errorf("vfat: reading the root directory: %w", err)
		}
	case e.cluster == 0:
		return dirContents{}, fmt.Errorf("vfat: directory %q has no cluster", e.name)
	default:
		cs := f.clusterSize()
		limit := int((maxDirEntries*dirEntrySize + cs - 1) / cs)
		clusters, err := f.chain(e.cluster, limit)
		if err != nil {
			return dirContents{}, err
		}
		b = make([]byte, int64(len(clusters))*cs)
		for i, c := range clusters {
			if _, err := f.r.ReadAt(b[int64(i)*cs:int64(i+1)*cs], f.clusterOffset(c)); err != nil {
				return dirContents{}, fmt.Errorf("vfat: reading directory %q: %w", e.name, err)
			}
		}
	}
	return parseDir(b, f.bs.FATType == 32), nil
}

// lookup resolves a slash-separated path to its entry.
func (f *FS) lookup(op, name string) (*DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e := f.rootEntry()
	if name == "." {
		return e, nil
	}
	for elem := range strings.SplitSeq(name, "/") {
		if !e.IsDir() {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		d, err := f.readDir(e)
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		if e = find(d.entries, elem); e == nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
	}
	return e, nil
}

// find returns the entry called name: exact match first, then FAT's
// case-insensitive match on the long or short name.
func find(ents []*DirEntry, name string) *DirEntry {
	for _, e := range ents {
		if e.name == name {
			return e
		}
	}
	for _, e := range ents {
		if strings.EqualFold(e.name, name) || strings.EqualFold(e.short, name) {
			return e
		}
	}
	return nil
}

// Open opens the named file or directory.
func (f *FS) Open(name string) (fs.File, error) {
	e, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e.IsDir() {
		d, err := f.readDir(e)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		ents := make([]fs.DirEntry, len(d.entries))
		for i, c := range d.entries {
			ents[i] = c
		}
		return &dirFile{info: renamed(e, name), entries: ents}, nil
	}
	clusters, err := f.fileClusters(e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{fsys: f, info: renamed(e, name), clusters: clusters}, nil
}

// renamed returns e with the name fs.Stat expects: the last path element.
func renamed(e *DirEntry, name string) *DirEntry {
	c := *e
	c.name = path.Base(name)
	return &c
}

// fileClusters returns the clusters holding the file of entry e, checking
// that the chain is long enough for its size.
func (f *FS) fileClusters(e *DirEntry) ([]uint32, error) {
	if e.size == 0 {
		return nil, nil
	}
	cs := f.clusterSize()
	need := int((int64(e.size) + cs - 1) / cs)
	clusters, err := f.chain(e.cluster, need)
	if err != nil {
		return nil, err
	}
	if len(clusters) < need {
		return nil, fmt.Errorf("vfat: %q: %d bytes but only %d clusters", e.name, e.size, len(clusters))
	}
	return clusters, nil
}

// ReadDir returns the entries of the named directory, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	fh, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	d, ok := fh.(*dirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	ents := slices.Clone(d.entries)
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

// ReadFile returns the contents of the named file.
func (f *FS) ReadFile(name string) ([]byte, error) {
	r, err := f.openFile(name)
	if err != nil {
		return nil, err
	}
	b := make([]byte, r.info.size)
	if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return b, nil
}

// openFile opens the named regular file.
func (f *FS) openFile(name string) (*file, error) {
	fh, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	r, ok := fh.(*file)
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return r, nil
}

// sameChunk is how much of a file SameContent reads at once when its
// caller gives no buffer.
const sameChunk = 1 << 20

// SameContent reports whether the named file holds exactly want. It reads
// the file a chunk at a time through buf (nil: a buffer of its own), so
// that checking a large file against its bytes in memory needs no second
// copy of it: an install's read-back of 15 MiB, read whole, took a page
// fault for every 4 KiB. A reader that wants aligned memory (O_DIRECT)
// gets it through buf.
func (f *FS) SameContent(name string, want, buf []byte) (bool, error) {
	r, err := f.openFile(name)
	if err != nil {
		return false, err
	}
	if r.info.Size() != int64(len(want)) {
		return false, nil
	}
	if len(buf) == 0 {
		buf = make([]byte, min(sameChunk, len(want)))
	}
	for off := 0; off < len(want); off += len(buf) {
		chunk := buf[:min(len(buf), len(want)-off)]
		if _, err := r.ReadAt(chunk, int64(off)); err != nil && err != io.EOF {
			return false, err
		}
		if !bytes.Equal(chunk, want[off:off+len(chunk)]) {
			return false, nil
		}
	}
	return true, nil
}

// Stat returns the entry of the named file or directory.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	e, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return renamed(e, name), nil
}
