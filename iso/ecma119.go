package iso

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf16"
)

// ECMA-119 structures and the Joliet supplementary volume descriptor.
// Section numbers in comments are those of ECMA-119 2nd edition (1987),
// which is ISO 9660:1988.

const (
	// blockSize is the logical block (and sector) size, 6.1.2 / 6.2.2.
	blockSize = 2048
	// firstVDBlock is where the volume descriptor set starts, after the
	// 16-block system area (6.2.1, 6.7.1).
	firstVDBlock = 16
	// maxRecordLen bounds a directory record: its length is one byte (9.1.1).
	maxRecordLen = 255
	// recordHeaderLen is a directory record up to the file identifier (9.1).
	recordHeaderLen = 33
	// flagDirectory is the File Flags "Directory" bit (9.1.6).
	flagDirectory = 0x02
)

// Volume descriptor types (8.1.1) and El Torito's boot record.
const (
	vdBootRecord    = 0
	vdPrimary       = 1
	vdSupplementary = 2
	vdTerminator    = 255
)

// standardID is the Standard Identifier of every volume descriptor (8.1.2).
const standardID = "CD001"

// putBoth16 writes a both-byte-order 16-bit field (7.2.3).
func putBoth16(b []byte, v uint16) {
	binary.LittleEndian.PutUint16(b, v)
	binary.BigEndian.PutUint16(b[2:], v)
}

// putBoth32 writes a both-byte-order 32-bit field (7.3.3).
func putBoth32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

// recordDate is the 7-byte Recording Date and Time of a directory record
// (9.1.5), in UTC; Rock Ridge TF's short form uses the same layout.
func recordDate(t time.Time) [7]byte {
	t = t.UTC()
	return [7]byte{byte(t.Year() - 1900), byte(t.Month()), byte(t.Day()),
		byte(t.Hour()), byte(t.Minute()), byte(t.Second()), 0}
}

// volumeDate is the 17-byte date of a volume descriptor (8.4.26.1) in
// UTC: "YYYYMMDDHHMMSScc" and a zero offset from GMT.
func volumeDate(t time.Time) [17]byte {
	t = t.UTC()
	var d [17]byte
	copy(d[:], fmt.Sprintf("%04d%02d%02d%02d%02d%02d%02d", t.Year(), t.Month(), t.Day(),
		t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e7))
	return d
}

// unspecifiedDate is 8.4.26.1's "not specified": sixteen '0' digits and a
// zero offset.
var unspecifiedDate = [17]byte{'0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', 0}

// dirRecord is a directory record (9.1). Extended attribute records,
// interleaving and multi-extent files are not used; the volume sequence
// number is always 1.
type dirRecord struct {
	extent    uint32  // 9.1.3 Location of Extent
	size      uint32  // 9.1.4 Data Length
	date      [7]byte // 9.1.5 Recording Date and Time
	flags     byte    // 9.1.6 File Flags
	id        []byte  // 9.1.11 File Identifier; 0x00 is ".", 0x01 ".."
	systemUse []byte  // 9.1.13 System Use (SUSP entries), even length
}

// idEnd is the offset after the file identifier and its padding field
// (9.1.12), which keeps the System Use field at an even offset.
func (r *dirRecord) idEnd() int {
	n := recordHeaderLen + len(r.id)
	return n + n%2
}

func (r *dirRecord) len() int { return r.idEnd() + len(r.systemUse) }

func (r *dirRecord) appendTo(b []byte) []byte {
	rec := make([]byte, r.len())
	rec[0] = byte(len(rec)) // 9.1.1 Length of Directory Record
	// rec[1]: 9.1.2 Extended Attribute Record Length, none.
	putBoth32(rec[2:], r.extent)
	putBoth32(rec[10:], r.size)
	copy(rec[18:25], r.date[:])
	rec[25] = r.flags
	// rec[26], rec[27]: 9.1.7/9.1.8 File Unit Size, Interleave Gap: 0.
	putBoth16(rec[28:], 1) // 9.1.9 Volume Sequence Number
	rec[32] = byte(len(r.id))
	copy(rec[recordHeaderLen:], r.id)
	copy(rec[r.idEnd():], r.systemUse)
	return append(b, rec...)
}

// packRecords lays out directory records as a directory's extent: a
// record never crosses a block boundary (6.8.1.1), the rest of a block is
// zero, and the extent is whole blocks.
func packRecords(recs []dirRecord) []byte {
	var b []byte
	for i := range recs {
		if n := recs[i].len(); len(b)%blockSize+n > blockSize {
			b = append(b, make([]byte, blockSize-len(b)%blockSize)...)
		}
		b = recs[i].appendTo(b)
	}
	return padBlock(b)
}

// padBlock extends b with zeros to a whole number of blocks.
func padBlock(b []byte) []byte {
	if r := len(b) % blockSize; r != 0 {
		b = append(b, make([]byte, blockSize-r)...)
	}
	return b
}

// blocks is the number of blocks n bytes occupy.
func blocks(n int64) int64 { return (n + blockSize - 1) / blockSize }

// pathRecord is a path table record (9.4).
type pathRecord struct {
	extent uint32 // 9.4.3 Location of Extent
	parent uint16 // 9.4.4 Parent Directory Number (1-based)
	id     []byte // 9.4.5 Directory Identifier; 0x00 for the root
}

// appendTo appends the record in the byte order of a type L (little
// endian) or type M (big endian) path table (9.4.3, 9.4.4).
func (p pathRecord) appendTo(b []byte, order binary.ByteOrder) []byte {
	n := 8 + len(p.id) + len(p.id)%2 // 9.4.6 padding to an even length
	rec := make([]byte, n)
	rec[0] = byte(len(p.id)) // 9.4.1 Length of Directory Identifier
	order.PutUint32(rec[2:], p.extent)
	order.PutUint16(rec[6:], p.parent)
	copy(rec[8:], p.id)
	return append(b, rec...)
}

// volumeDescriptor is a primary (8.4) or supplementary (8.5) volume
// descriptor; Joliet is a supplementary one with UCS-2 escape sequences.
type volumeDescriptor struct {
	joliet        bool      // supplementary, text fields in UCS-2 big endian
	volumeID      string    // 8.4.6 Volume Identifier
	spaceSize     uint32    // 8.4.8 Volume Space Size, in blocks
	pathTableSize uint32    // 8.4.13 Path Table Size
	pathTableL    uint32    // 8.4.14 Location of Occurrence of Type L Path Table
	pathTableM    uint32    // 8.4.16 Location of Occurrence of Type M Path Table
	root          dirRecord // 8.4.18 Directory Record for Root Directory
	date          time.Time // 8.4.26/8.4.27 creation and modification
}

// jolietEscapes is the Escape Sequences field (8.5.6) of a Joliet SVD:
// UCS-2 level 3.
const jolietEscapes = "%/E"

func (v *volumeDescriptor) bytes() []byte {
	b := make([]byte, blockSize)
	b[0] = vdPrimary
	if v.joliet {
		b[0] = vdSupplementary
		copy(b[88:], jolietEscapes)
	}
	copy(b[1:6], standardID)
	b[6] = 1 // 8.4.3 Volume Descriptor Version
	// 8.4.5 System Identifier, 8.4.6 Volume Identifier.
	copy(b[8:40], v.text("", 32))
	copy(b[40:72], v.text(v.volumeID, 32))
	putBoth32(b[80:], v.spaceSize)
	putBoth16(b[120:], 1)         // 8.4.10 Volume Set Size
	putBoth16(b[124:], 1)         // 8.4.11 Volume Sequence Number
	putBoth16(b[128:], blockSize) // 8.4.12 Logical Block Size
	putBoth32(b[132:], v.pathTableSize)
	binary.LittleEndian.PutUint32(b[140:], v.pathTableL)
	binary.BigEndian.PutUint32(b[148:], v.pathTableM)
	copy(b[156:190], v.root.appendTo(nil))
	// 8.4.19-8.4.25: volume set, publisher, data preparer and application
	// identifiers, copyright, abstract and bibliographic file identifiers.
	for _, f := range [][2]int{{190, 318}, {318, 446}, {446, 574}, {574, 702}, {702, 739}, {739, 776}, {776, 813}} {
		copy(b[f[0]:f[1]], v.text("", f[1]-f[0]))
	}
	date := volumeDate(v.date)
	copy(b[813:], date[:]) // 8.4.26 Volume Creation Date and Time
	copy(b[830:], date[:]) // 8.4.27 Volume Modification Date and Time
	// 8.4.28/8.4.29 Expiration and Effective dates: not specified.
	copy(b[847:], unspecifiedDate[:])
	copy(b[864:], unspecifiedDate[:])
	b[881] = 1 // 8.4.30 File Structure Version
	return b
}

// text returns an n-byte identifier field holding s padded with spaces
// (8.4.5-8.4.6, 8.4.19-8.4.25): ASCII, or UCS-2 big endian in a Joliet descriptor, where an odd final
// byte stays zero as in xorriso's output.
func (v *volumeDescriptor) text(s string, n int) []byte {
	b := make([]byte, n)
	if !v.joliet {
		for i := range b {
			b[i] = ' '
		}
		copy(b, s)
		return b
	}
	u := utf16.Encode([]rune(s))
	for i := 0; i+1 < n; i += 2 {
		c := uint16(' ')
		if i/2 < len(u) {
			c = u[i/2]
		}
		binary.BigEndian.PutUint16(b[i:], c)
	}
	return b
}

// terminator is the Volume Descriptor Set Terminator (8.3).
func terminator() []byte {
	b := make([]byte, blockSize)
	b[0] = vdTerminator
	copy(b[1:6], standardID)
	b[6] = 1
	return b
}
