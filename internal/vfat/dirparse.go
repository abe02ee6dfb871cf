package vfat

import (
	"encoding/binary"
	"io/fs"
	"strings"
	"time"
	"unicode/utf16"
)

// Markers in the first byte of a directory entry.
const (
	entryEnd     = 0x00
	entryDeleted = 0xE5
	entryKanji   = 0x05 // a name really starting with 0xE5
)

// DirEntry is one entry of a FAT directory. It implements fs.DirEntry
// and fs.FileInfo.
type DirEntry struct {
	name    string // long name if there is a valid one, else the short name
	short   string
	attr    byte
	cluster uint32
	size    uint32
	modTime time.Time
}

func (e *DirEntry) Name() string               { return e.name }
func (e *DirEntry) IsDir() bool                { return e.attr&attrDirectory != 0 }
func (e *DirEntry) Type() fs.FileMode          { return e.Mode().Type() }
func (e *DirEntry) Info() (fs.FileInfo, error) { return e, nil }
func (e *DirEntry) Size() int64                { return int64(e.size) }
func (e *DirEntry) ModTime() time.Time         { return e.modTime }
func (e *DirEntry) Sys() any                   { return nil }

// Mode maps FAT attributes to permissions: FAT has only read-only.
func (e *DirEntry) Mode() fs.FileMode {
	m := fs.FileMode(0o644)
	if e.IsDir() {
		m = fs.ModeDir | 0o755
	}
	if e.attr&attrReadOnly != 0 {
		m &^= 0o222
	}
	return m
}

// ShortName returns the 8.3 name, as "NAME.EXT".
func (e *DirEntry) ShortName() string { return e.short }

// Attr returns the FAT attribute byte.
func (e *DirEntry) Attr() byte { return e.attr }

// FirstCluster returns the entry's first cluster (0 for empty files and,
// in "..", for the root).
func (e *DirEntry) FirstCluster() uint32 { return e.cluster }

// String describes the entry, as fs.FormatDirEntry does.
func (e *DirEntry) String() string { return fs.FormatDirEntry(e) }

// dirContents is a parsed directory.
type dirContents struct {
	entries []*DirEntry // without "." and ".."
	dot     *DirEntry   // ".", if present
	dotdot  *DirEntry   // "..", if present
	label   string      // volume label entry, if present
}

// parseDir parses the entries in b, which may be any bytes: it never
// fails, it skips what it cannot make sense of, as a reader must not
// trust a disk. Long names whose sequence or checksum is wrong are
// dropped in favour of the short name.
func parseDir(b []byte, fat32 bool) dirContents {
	var d dirContents
	var (
		lfn  []uint16 // long name being collected
		next int      // sequence number expected next, 0 for none
		sum  byte
	)
	for len(b) >= dirEntrySize {
		e := b[:dirEntrySize]
		b = b[dirEntrySize:]
		switch e[0] {
		case entryEnd:
			return d
		case entryDeleted:
			next = 0
			continue
		}
		attr := e[11]
		if attr&0x3F == attrLongName {
			seq := int(e[0] & 0x1F)
			switch {
			case e[0]&lfnLastFlag != 0 && seq >= 1 && seq*lfnChars <= 2*maxLongName:
				lfn, next, sum = make([]uint16, seq*lfnChars), seq, e[13]
			case seq < 1 || next == 0 || seq != next-1 || e[13] != sum:
				next = 0
				continue
			}
			next = seq
			for j, off := range lfnCharOffsets {
				lfn[(seq-1)*lfnChars+j] = binary.LittleEndian.Uint16(e[off:])
			}
			continue
		}
		var raw [shortNameLen]byte
		copy(raw[:], e[:shortNameLen])
		haveLFN := next == 1 && lfnChecksum(raw) == sum
		next = 0
		if attr&attrVolumeID != 0 {
			if d.label == "" && attr&attrDirectory == 0 {
				d.label = strings.TrimRight(latin1(raw[:]), " ")
			}
			continue
		}
		ent := &DirEntry{
			short:   shortName(raw, e[12]),
			attr:    attr,
			cluster: uint32(binary.LittleEndian.Uint16(e[26:])),
			size:    binary.LittleEndian.Uint32(e[28:]),
			modTime: fromDOSTime(binary.LittleEndian.Uint16(e[24:]), binary.LittleEndian.Uint16(e[22:])),
		}
		if fat32 {
			ent.cluster |= uint32(binary.LittleEndian.Uint16(e[20:])) << 16
		}
		if ent.IsDir() {
			ent.size = 0
		}
		ent.name = ent.short
		if haveLFN {
			if n := decodeLFN(lfn); validEntryName(n) {
				ent.name = n
			}
		}
		switch {
		case raw == packShort(".", ""):
			d.dot = ent
		case raw == packShort("..", ""):
			d.dotdot = ent
		case validEntryName(ent.name):
			d.entries = append(d.entries, ent)
		}
	}
	return d
}

// decodeLFN returns the long name up to its terminator.
func decodeLFN(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

// validEntryName reports whether name can be an fs.FS path element.
func validEntryName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// shortName formats an 11-byte short name as NAME.EXT, applying the
// Windows NT lower-case flags.
func shortName(raw [shortNameLen]byte, nt byte) string {
	if raw[0] == entryKanji {
		raw[0] = entryDeleted
	}
	base := strings.TrimRight(latin1(raw[:8]), " ")
	ext := strings.TrimRight(latin1(raw[8:]), " ")
	if nt&ntLowerBase != 0 {
		base = strings.ToLower(base)
	}
	if nt&ntLowerExt != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// latin1 decodes bytes as Latin-1: not the disk's real code page, but
// always valid UTF-8 and good enough for the ASCII names we write.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
