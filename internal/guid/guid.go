// Package guid is Plinth's one GUID type. A GUID lives in memory in its
// text order (the bytes of "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" in the
// order they are written, RFC 4122's order). UEFI stores GUIDs on disk and
// in firmware variables in a mixed-endian layout (UEFI 2.10 appendix A,
// EFI_GUID: the first three fields little-endian, the last eight bytes as
// they are); PutMixed and FromMixed are the only code that converts, so a
// byte swap can only be written by calling one of them by name.
package guid

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// GUID is a GUID in text (RFC 4122) byte order. It is a value: compare with
// ==, and pass it between packages as it is, never as its string.
type GUID [16]byte

// Size is the length of a GUID in either byte order.
const Size = 16

// Parse parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in either case,
// optionally in braces.
func Parse(s string) (GUID, error) {
	var g GUID
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return g, fmt.Errorf("guid: bad GUID %q: want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s)
	}
	h := t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:36]
	if _, err := hex.Decode(g[:], []byte(h)); err != nil {
		return GUID{}, fmt.Errorf("guid: bad GUID %q: %w", s, err)
	}
	return g, nil
}

// MustParse is Parse for well-known constants; a typo there is a
// programming error that the package's tests catch.
func MustParse(s string) GUID {
	g, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return g
}

// Random returns a version 4 (random) GUID from crypto/rand.
func Random() GUID {
	var g GUID
	rand.Read(g[:]) // never fails since Go 1.24
	return g.v4()
}

// Derive returns a version-4-formatted GUID that is a pure function of a
// purpose label and seed bytes, for reproducible images: the same label
// and seed always give the same GUID, different labels different ones.
func Derive(label string, seed []byte) GUID {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(seed)
	var g GUID
	copy(g[:], h.Sum(nil))
	return g.v4()
}

func (g GUID) v4() GUID {
	g[6] = g[6]&0x0f | 0x40 // version 4
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}

// IsZero reports whether g is the all-zero GUID (GPT: an unused entry).
func (g GUID) IsZero() bool { return g == GUID{} }

// String formats g in lower case, as RFC 4122, efivarfs file names and
// /dev/disk/by-partuuid use it.
func (g GUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], g[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], g[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], g[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], g[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], g[10:16])
	return string(b[:])
}

// Upper formats g in upper case, as sgdisk and UEFI device-path text print it.
func (g GUID) Upper() string { return strings.ToUpper(g.String()) }

// MarshalText writes the lower-case text form (JSON, YAML).
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText parses the text form.
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// PutMixed writes g into b[0:16] in UEFI's mixed-endian EFI_GUID layout
// (GPT headers and entries, device paths, variable names in firmware).
func (g GUID) PutMixed(b []byte) {
	_ = b[Size-1]
	binary.LittleEndian.PutUint32(b[0:4], binary.BigEndian.Uint32(g[0:4]))
	binary.LittleEndian.PutUint16(b[4:6], binary.BigEndian.Uint16(g[4:6]))
	binary.LittleEndian.PutUint16(b[6:8], binary.BigEndian.Uint16(g[6:8]))
	copy(b[8:16], g[8:16])
}

// Mixed returns g in UEFI's mixed-endian layout.
func (g GUID) Mixed() [Size]byte {
	var b [Size]byte
	g.PutMixed(b[:])
	return b
}

// FromBytes reads a GUID stored in text (RFC 4122, big-endian) order from
// b[0:16], as Linux file systems, LVM and md store their UUIDs.
func FromBytes(b []byte) GUID { return GUID(b[:Size]) }

// FromMixed reads a GUID stored in UEFI's mixed-endian layout from b[0:16].
func FromMixed(b []byte) GUID {
	_ = b[Size-1]
	var g GUID
	binary.BigEndian.PutUint32(g[0:4], binary.LittleEndian.Uint32(b[0:4]))
	binary.BigEndian.PutUint16(g[4:6], binary.LittleEndian.Uint16(b[4:6]))
	binary.BigEndian.PutUint16(g[6:8], binary.LittleEndian.Uint16(b[6:8]))
	copy(g[8:16], b[8:16])
	return g
}
