package iso

// System Use Sharing Protocol (SUSP 1.12, IEEE P1281) and Rock Ridge
// Interchange Protocol entries: the layer that gives the primary tree
// POSIX names, modes and times. They are written in their RRIP 1.10 form
// and announced as "RRIP_1991A", exactly the entries xorriso writes for
// plain files and directories; section numbers are RRIP 1.12's (IEEE
// P1282), which numbers these entries the same way.

// suspEntry is a System Use Entry (SUSP 4.1): a two-character signature,
// the entry's length, its version and data.
type suspEntry struct {
	sig     string // SUSP 4.1.1 Signature Word
	version byte   // SUSP 4.1.3 System Use Entry Version
	data    []byte
}

func (e suspEntry) len() int { return 4 + len(e.data) }

func (e suspEntry) appendTo(b []byte) []byte {
	b = append(b, e.sig[0], e.sig[1], byte(e.len()), e.version) // SUSP 4.1.2 Length
	return append(b, e.data...)
}

// suspLen is the total length of entries.
func suspLen(es []suspEntry) int {
	n := 0
	for _, e := range es {
		n += e.len()
	}
	return n
}

// entrySP is the SUSP indicator (SUSP 5.3) that starts the System Use
// field of the root's "." record: check bytes BE EF, no bytes skipped.
func entrySP() suspEntry { return suspEntry{"SP", 1, []byte{0xBE, 0xEF, 0}} }

// ceEntryLen is the length of a CE entry.
const ceEntryLen = 28

// entryCE points at a Continuation Area (SUSP 5.1): block, offset in it
// and length, each in both byte orders.
func entryCE(block, offset, length uint32) suspEntry {
	d := make([]byte, ceEntryLen-4)
	putBoth32(d[0:], block)
	putBoth32(d[8:], offset)
	putBoth32(d[16:], length)
	return suspEntry{"CE", 1, d}
}

// The Extension Reference values RRIP 1.10 specifies for itself, the text
// mkisofs and xorriso record.
const (
	rripID     = "RRIP_1991A"
	rripDesc   = "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS"
	rripSource = "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION."
)

// entryER is the Extension Reference (SUSP 5.5) announcing Rock Ridge,
// recorded in the root's "." record.
func entryER() suspEntry {
	d := []byte{byte(len(rripID)), byte(len(rripDesc)), byte(len(rripSource)), 1}
	d = append(d, rripID...)
	d = append(d, rripDesc...)
	d = append(d, rripSource...)
	return suspEntry{"ER", 1, d}
}

// POSIX file type bits of a PX mode (RRIP 4.1.1, POSIX st_mode).
const (
	modeDir  = 0o040000
	modeFile = 0o100000
)

// entryPX records POSIX file attributes (RRIP 4.1.1, the RRIP 1.10 form
// without a serial number): mode, link count, user and group ID 0.
func entryPX(mode, links uint32) suspEntry {
	d := make([]byte, 32)
	putBoth32(d[0:], mode)
	putBoth32(d[8:], links)
	// d[16:32]: uid and gid 0.
	return suspEntry{"PX", 1, d}
}

// TF flags (RRIP 4.1.6): which time stamps follow, in short (7-byte) form.
const (
	tfModify     = 1 << 1
	tfAccess     = 1 << 2
	tfAttributes = 1 << 3
)

// entryTF records modification, access and attribute-change times (RRIP
// 4.1.6), all the same date in 9.1.5 form, as xorriso records them.
func entryTF(date [7]byte) suspEntry {
	d := []byte{tfModify | tfAccess | tfAttributes}
	for range 3 {
		d = append(d, date[:]...)
	}
	return suspEntry{"TF", 1, d}
}

// nmContinue is the NM flag (RRIP 4.1.4) saying the name goes on in the
// next NM entry.
const nmContinue = 1

// maxNMName is the most name bytes one NM entry holds (length is a byte).
const maxNMName = 255 - 5

// entriesNM records an alternate (POSIX) name (RRIP 4.1.4), split over as
// many NM entries as a name needs.
func entriesNM(name string) []suspEntry {
	var es []suspEntry
	for {
		part, flags := name, byte(0)
		if len(part) > maxNMName {
			part, flags = name[:maxNMName], nmContinue
		}
		es = append(es, suspEntry{"NM", 1, append([]byte{flags}, part...)})
		name = name[len(part):]
		if name == "" {
			return es
		}
	}
}

// systemUse holds the SUSP entries of one directory record: those that
// stay in the record, and those moved to a Continuation Area when the
// record would exceed 255 bytes.
type systemUse struct {
	inline []suspEntry
	moved  []suspEntry // Continuation Area content, if any
}

// splitSystemUse puts fixed and movable entries into a record whose
// non-System-Use part is base bytes long: all inline if they fit, else
// fixed inline followed by a CE entry (filled in by ce) and movable in the
// Continuation Area. Fixed entries (SP, PX, TF) are at most 69 bytes and
// base at most 48 (level 1 identifiers), so the first case or the second
// always fits.
func splitSystemUse(base int, fixed, movable []suspEntry) systemUse {
	all := append(append([]suspEntry(nil), fixed...), movable...)
	if base+even(suspLen(all)) <= maxRecordLen {
		return systemUse{inline: all}
	}
	return systemUse{inline: fixed, moved: movable}
}

// bytes encodes the inline entries, with ce (a CE entry pointing at the
// moved ones) appended when some were moved, padded to an even length so
// the record's length is even (9.1.1, 6.8.1.1).
func (s systemUse) bytes(ce suspEntry) []byte {
	var b []byte
	for _, e := range s.inline {
		b = e.appendTo(b)
	}
	if len(s.moved) > 0 {
		b = ce.appendTo(b)
	}
	if len(b)%2 != 0 {
		b = append(b, 0)
	}
	return b
}

// movedBytes encodes the Continuation Area content.
func (s systemUse) movedBytes() []byte {
	var b []byte
	for _, e := range s.moved {
		b = e.appendTo(b)
	}
	return b
}

func even(n int) int { return n + n%2 }

// ceAreas collects the Continuation Areas of one directory in blocks that
// follow its records; an area never crosses a block boundary, as Linux's
// isofs requires.
type ceAreas struct {
	first uint32 // first block, from the layout (0 while sizing)
	buf   []byte
}

// add stores an area and returns the CE entry that points at it.
func (c *ceAreas) add(area []byte) suspEntry {
	if len(c.buf)%blockSize+len(area) > blockSize {
		c.buf = padBlock(c.buf)
	}
	off := len(c.buf) % blockSize
	block := c.first + uint32(len(c.buf)/blockSize)
	c.buf = append(c.buf, area...)
	return entryCE(block, uint32(off), uint32(len(area)))
}
