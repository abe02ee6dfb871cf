package probe

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/guid"
)

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

// uuidString formats 16 bytes in the usual 8-4-4-4-12 form, in the order
// they are stored, as blkid does for the filesystems that keep a UUID as
// a byte string. Like blkid it returns "" for an all-zero UUID.
func uuidString(b []byte) string {
	if isZero(b) {
		return ""
	}
	return guid.FromBytes(b).String()
}

// isZero reports whether b holds only zero bytes.
func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// cString returns the bytes of b up to the first NUL, as text.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// paddedString returns a fixed-size field padded with spaces or NULs.
func paddedString(b []byte) string {
	return strings.TrimRight(cString(b), " ")
}

// utf16String decodes a UTF-16 field (little- or big-endian) up to its
// first NUL character.
func utf16String(b []byte, order binary.ByteOrder) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := order.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// isPowerOf2 reports whether n is a power of two (1 included).
func isPowerOf2(n uint64) bool { return n != 0 && n&(n-1) == 0 }
