package efivar

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// UEFI strings (CHAR16) are UCS-2, not UTF-16: firmware menus do not
// understand surrogate pairs, so characters outside the Basic Multilingual
// Plane are rejected instead of being encoded as pairs.

// appendUCS2 appends s as NUL-terminated little-endian UCS-2.
func appendUCS2(b []byte, s string) ([]byte, error) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validRuneAt(s, i):
			return nil, fmt.Errorf("string %q is not valid UTF-8", s)
		case r == 0:
			return nil, fmt.Errorf("string %q contains NUL", s)
		case r > 0xffff:
			return nil, fmt.Errorf("string %q: %U is outside UCS-2", s, r)
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return append(b, 0, 0), nil
}

// validRuneAt reports whether the U+FFFD at s[i] is really in s (and not a
// replacement for invalid UTF-8).
func validRuneAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3
}

// decodeUCS2 decodes little-endian UCS-2 up to the first NUL or the end of
// b. It returns the string and the bytes consumed including the NUL; found
// tells whether a NUL was seen. Surrogates decode to U+FFFD, so decoding
// and re-encoding is stable.
func decodeUCS2(b []byte) (s string, n int, found bool) {
	buf := make([]byte, 0, len(b)/2)
	for n+1 < len(b) {
		c := binary.LittleEndian.Uint16(b[n:])
		n += 2
		if c == 0 {
			return string(buf), n, true
		}
		r := rune(c)
		if c >= 0xd800 && c <= 0xdfff {
			r = utf8.RuneError
		}
		buf = utf8.AppendRune(buf, r)
	}
	return string(buf), n, false
}

// VariableName encodes a variable's name as authenticated writes sign it
// (UEFI 2.10 section 8.2.2): little-endian UCS-2 without the NUL.
func VariableName(name string) ([]byte, error) {
	if name == "" {
		return nil, fmt.Errorf("empty variable name")
	}
	b, err := appendUCS2(nil, name)
	if err != nil {
		return nil, fmt.Errorf("variable name: %w", err)
	}
	return b[:len(b)-2], nil
}

// DecodeUCS2 decodes little-endian UCS-2 up to the first NUL or the end
// of b (a CHAR16 string such as a variable's name or value).
func DecodeUCS2(b []byte) string {
	s, _, _ := decodeUCS2(b)
	return s
}

// EncodeUCS2 encodes s as a NUL-terminated little-endian CHAR16 string,
// as a load option's optional data carries a path for the loader it
// starts (shim reads its second stage from there).
func EncodeUCS2(s string) ([]byte, error) {
	b, err := appendUCS2(nil, s)
	if err != nil {
		return nil, fmt.Errorf("efivar: %w", err)
	}
	return b, nil
}
