package vfat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	maxLongName  = 255 // UTF-16 code units
	lfnChars     = 13  // UTF-16 code units per long-name entry
	lfnLastFlag  = 0x40
	shortNameLen = 11
)

// checkName rejects names that FAT cannot store or that Windows would
// mangle (trailing dots and spaces are silently dropped there).
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("name %q not allowed", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("name %q is not valid UTF-8", name)
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return fmt.Errorf("name %q ends in a dot or space, which FAT drops", name)
	}
	for _, r := range name {
		if r < 0x20 || strings.ContainsRune(`"*/:<>?\|`, r) {
			return fmt.Errorf("name %q contains %q, which FAT names cannot hold", name, r)
		}
	}
	if n := len(utf16.Encode([]rune(name))); n > maxLongName {
		return fmt.Errorf("name %q is %d UTF-16 units long, FAT allows %d", name, n, maxLongName)
	}
	return nil
}

// isShortChar reports whether c may appear in a short (8.3) name as we
// write them: upper-case ASCII letters, digits and the punctuation the
// FAT specification allows. Lower case is left out on purpose: a name
// with lower case gets a long name so that its case survives.
func isShortChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'()-@^_`{}~", c) >= 0
}

// isShort83 reports whether name is already a valid upper-case 8.3 name,
// which is stored without a long name.
func isShort83(name string) bool {
	base, ext, dot := strings.Cut(name, ".")
	if len(base) < 1 || len(base) > 8 || len(ext) > 3 || dot && len(ext) == 0 {
		return false
	}
	for _, s := range []string{base, ext} {
		for i := 0; i < len(s); i++ {
			if !isShortChar(s[i]) {
				return false
			}
		}
	}
	return true
}

// packShort returns the 11-byte directory form of base and ext, padded
// with spaces.
func packShort(base, ext string) [shortNameLen]byte {
	var out [shortNameLen]byte
	for i := range out {
		out[i] = ' '
	}
	copy(out[:8], base)
	copy(out[8:], ext)
	return out
}

// shortBasis derives the basis of a generated short name as Windows does:
// upper-cased, with spaces and all but the last dot dropped, characters
// not allowed in short names replaced by '_'. exact is false when the
// basis had to lose information, in which case a "~N" tail is required.
func shortBasis(name string) (base, ext string, exact bool) {
	exact = true
	trimmed := strings.TrimLeft(name, ".")
	if trimmed != name {
		exact = false
	}
	basePart, extPart := trimmed, ""
	if i := strings.LastIndexByte(trimmed, '.'); i >= 0 {
		basePart, extPart = trimmed[:i], trimmed[i+1:]
	}
	conv := func(s string, max int) string {
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			switch {
			case r == ' ' || r == '.':
				exact = false
				continue
			case r < utf8.RuneSelf && isShortChar(byte(r)):
				b.WriteByte(byte(r))
			default:
				exact = false
				b.WriteByte('_')
			}
		}
		out := b.String()
		if len(out) > max {
			exact = false
			out = out[:max]
		}
		return out
	}
	base, ext = conv(basePart, 8), conv(extPart, 3)
	if base == "" {
		base, exact = "_", false
	}
	return base, ext, exact
}

// assignShortNames gives each name of one directory a unique short name
// and says which names also need long-name entries. Names that are valid
// upper-case 8.3 names keep themselves, so they are claimed first; the
// others get the Windows-style "BASENA~N.EXT" in the given order.
func assignShortNames(names []string) (shorts [][shortNameLen]byte, needLFN []bool, err error) {
	shorts = make([][shortNameLen]byte, len(names))
	needLFN = make([]bool, len(names))
	taken := make(map[[shortNameLen]byte]string, len(names))
	for i, n := range names {
		if !isShort83(n) {
			needLFN[i] = true
			continue
		}
		base, ext, _ := strings.Cut(n, ".")
		shorts[i] = packShort(base, ext)
		if prev, dup := taken[shorts[i]]; dup {
			return nil, nil, fmt.Errorf("names %q and %q are the same on FAT", prev, n)
		}
		taken[shorts[i]] = n
	}
	for i, n := range names {
		if !needLFN[i] {
			continue
		}
		base, ext, exact := shortBasis(n)
		if exact {
			if s := packShort(base, ext); taken[s] == "" {
				shorts[i] = s
				taken[s] = n
				continue
			}
		}
		found := false
		for k := 1; k <= 999999 && !found; k++ {
			tail := "~" + strconv.Itoa(k)
			b := base
			if len(b)+len(tail) > 8 {
				b = b[:8-len(tail)]
			}
			s := packShort(b+tail, ext)
			if taken[s] == "" {
				shorts[i], taken[s], found = s, n, true
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("no short name left for %q", n)
		}
	}
	return shorts, needLFN, nil
}

// lfnChecksum is the checksum of a short name that ties long-name entries
// to their short entry.
func lfnChecksum(short [shortNameLen]byte) byte {
	var sum byte
	for _, c := range short {
		sum = (sum>>1 | sum<<7) + c
	}
	return sum
}

// lfnEntryCount returns the number of long-name entries name needs.
func lfnEntryCount(name string) int {
	return (len(utf16.Encode([]rune(name))) + lfnChars - 1) / lfnChars
}

// lfnCharOffsets are the byte offsets of the 13 UTF-16 units within a
// long-name entry.
var lfnCharOffsets = [lfnChars]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30}

// putLFNEntries writes the long-name entries for name into b, last part
// first as the directory order requires, and returns the bytes used.
func putLFNEntries(b []byte, name string, sum byte) int {
	units := utf16.Encode([]rune(name))
	n := (len(units) + lfnChars - 1) / lfnChars
	for i := 0; i < n; i++ {
		seq := n - i
		e := b[i*dirEntrySize : (i+1)*dirEntrySize]
		e[0] = byte(seq)
		if i == 0 {
			e[0] |= lfnLastFlag
		}
		e[11] = attrLongName
		e[12] = 0
		e[13] = sum
		e[26], e[27] = 0, 0
		for j, off := range lfnCharOffsets {
			k := (seq-1)*lfnChars + j
			var u uint16 = 0xFFFF // padding after the terminator
			switch {
			case k < len(units):
				u = units[k]
			case k == len(units):
				u = 0
			}
			e[off], e[off+1] = byte(u), byte(u>>8)
		}
	}
	return n * dirEntrySize
}
