package gpt

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// GUID holds a GUID in its textual byte order: the bytes of
// "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" in the order they are written,
// which is also the byte order of RFC 4122 UUIDs (so a uuid.UUID converts
// with a plain type conversion). GPT stores the first three fields little
// endian on disk; putDisk and guidFromDisk do that conversion, nothing else
// should.
type GUID [16]byte

// ParseGUID parses "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" (any case,
// optionally in braces).
func ParseGUID(s string) (GUID, error) {
	var g GUID
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return g, fmt.Errorf("gpt: bad GUID %q: want XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", s)
	}
	h := t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:36]
	if _, err := hex.Decode(g[:], []byte(h)); err != nil {
		return GUID{}, fmt.Errorf("gpt: bad GUID %q: %w", s, err)
	}
	return g, nil
}

// mustGUID is for the well-known constants below; a typo there is a
// programming error caught by the tests.
func mustGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// RandomGUID returns a version 4 (random) GUID from crypto/rand, as sgdisk
// does for new tables and partitions.
func RandomGUID() GUID {
	var g GUID
	rand.Read(g[:])         // never fails since Go 1.24
	g[6] = g[6]&0x0f | 0x40 // version 4
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}

// IsZero reports whether g is the all-zero GUID, which GPT uses for
// "unused entry".
func (g GUID) IsZero() bool { return g == GUID{} }

// String formats g in upper case, as sgdisk prints it.
func (g GUID) String() string {
	h := strings.ToUpper(hex.EncodeToString(g[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// putDisk writes g into b[0:16] in GPT's mixed-endian layout.
func (g GUID) putDisk(b []byte) {
	binary.LittleEndian.PutUint32(b[0:4], binary.BigEndian.Uint32(g[0:4]))
	binary.LittleEndian.PutUint16(b[4:6], binary.BigEndian.Uint16(g[4:6]))
	binary.LittleEndian.PutUint16(b[6:8], binary.BigEndian.Uint16(g[6:8]))
	copy(b[8:16], g[8:16])
}

// guidFromDisk is the inverse of putDisk.
func guidFromDisk(b []byte) GUID {
	var g GUID
	binary.BigEndian.PutUint32(g[0:4], binary.LittleEndian.Uint32(b[0:4]))
	binary.BigEndian.PutUint16(g[4:6], binary.LittleEndian.Uint16(b[4:6]))
	binary.BigEndian.PutUint16(g[6:8], binary.LittleEndian.Uint16(b[6:8]))
	copy(g[8:16], b[8:16])
	return g
}
