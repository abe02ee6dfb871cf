package efivar

import (
	"encoding/hex"
	"fmt"
)

// GUID is an EFI_GUID in the byte order UEFI stores it (variables, device
// paths, GPT headers): the first three fields little-endian, the last eight
// bytes as they are. Keeping the on-disk order avoids converting at every
// encode and decode; String and ParseGUID convert to and from the usual
// text form.
type GUID [16]byte

// GlobalVariable is EFI_GLOBAL_VARIABLE, 8be4df61-93ca-11d2-aa0d-00e098032b8c,
// the vendor GUID of Boot####, BootOrder, BootNext, BootCurrent and Timeout.
var GlobalVariable = GUID{
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
	0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
}

// ParseGUID parses the text form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
// (either case) into on-disk byte order.
func ParseGUID(s string) (GUID, error) {
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, fmt.Errorf("efivar: bad GUID %q: want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s)
	}
	var b [16]byte
	text := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(b[:], []byte(text)); err != nil {
		return g, fmt.Errorf("efivar: bad GUID %q: %w", s, err)
	}
	// b is the big-endian text order; swap the first three fields.
	g[0], g[1], g[2], g[3] = b[3], b[2], b[1], b[0]
	g[4], g[5] = b[5], b[4]
	g[6], g[7] = b[7], b[6]
	copy(g[8:], b[8:])
	return g, nil
}

// String returns the lower-case text form, the one efivarfs file names use.
func (g GUID) String() string {
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6],
		g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15])
}

// IsZero reports whether g is the all-zero GUID (an unused GPT entry).
func (g GUID) IsZero() bool { return g == GUID{} }
