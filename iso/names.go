package iso

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
)

// isoName returns a name's ECMA-119 identifier at interchange level 1
// (10.1), as mkisofs and xorriso write it by default: d-characters only
// (7.4.1: lower case is folded to upper case, anything else becomes '_'),
// a file as up to 8 name and 3 extension characters with version ";1"
// (7.5), a directory as up to 8 characters (7.6). seq > 0 replaces the end
// of the name part with seq, to tell apart names that map to the same
// identifier. Rock Ridge and Joliet carry the real names.
func isoName(name string, dir bool, seq int) string {
	base, ext := name, ""
	if !dir {
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			base, ext = name[:i], name[i+1:]
		}
	}
	base, ext = dCharacters(base, 8), dCharacters(ext, 3)
	if seq > 0 {
		s := strconv.Itoa(seq)
		base = base[:min(len(base), max(0, 8-len(s)))] + s
	}
	if dir {
		return base
	}
	return base + "." + ext + ";1"
}

// dCharacters maps s to at most n d-characters (A-Z, 0-9, _).
func dCharacters(s string, n int) string {
	b := make([]byte, 0, n)
	for _, r := range s {
		if len(b) == n {
			break
		}
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_':
			b = append(b, byte(r))
		default:
			b = append(b, '_')
		}
	}
	return string(b)
}

// jolietName is a name as a Joliet file identifier: UCS-2 big endian,
// without a version (as xorriso writes it). Options.validate keeps names
// within the Basic Multilingual Plane and 64 characters.
func jolietName(name string) []byte {
	u := utf16.Encode([]rune(name))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// identifierLess reports whether file identifier a sorts before b in a
// directory (9.3): by name, then by extension, each compared as if the
// shorter were padded with spaces, then by version, highest first.
// Identifiers are 16-bit units: the bytes of an ECMA-119 identifier or
// the UCS-2 characters of a Joliet one.
func identifierLess(a, b []uint16) bool {
	ka, kb := splitIdentifier(a), splitIdentifier(b)
	if c := comparePadded(ka.name, kb.name); c != 0 {
		return c < 0
	}
	if c := comparePadded(ka.ext, kb.ext); c != 0 {
		return c < 0
	}
	return comparePadded(ka.version, kb.version) > 0
}

// identifierParts is a file identifier split at its separators (7.5.1):
// name '.' extension ';' version.
type identifierParts struct{ name, ext, version []uint16 }

func splitIdentifier(u []uint16) identifierParts {
	var p identifierParts
	if i := indexUnit(u, ';'); i >= 0 {
		u, p.version = u[:i], u[i+1:]
	}
	if i := indexUnit(u, '.'); i >= 0 {
		u, p.ext = u[:i], u[i+1:]
	}
	p.name = u
	return p
}

func indexUnit(u []uint16, c uint16) int {
	for i, x := range u {
		if x == c {
			return i
		}
	}
	return -1
}

// comparePadded compares a and b as if the shorter were padded with
// spaces (0x20), as 9.3 requires.
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

// byteUnits widens an ECMA-119 identifier for identifierLess.
func byteUnits(b []byte) []uint16 {
	u := make([]uint16, len(b))
	for i, c := range b {
		u[i] = uint16(c)
	}
	return u
}

// ucs2Units reads a Joliet identifier for identifierLess.
func ucs2Units(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return u
}
