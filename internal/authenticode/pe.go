package authenticode

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Offsets in the optional header (PE format, "Optional Header
// Windows-Specific Fields" and "Optional Header Data Directories").
const (
	optChecksum = 64  // CheckSum, PE32 and PE32+
	optDirs32   = 96  // first data directory entry, PE32
	optDirs64   = 112 // first data directory entry, PE32+
	dirEntry    = 8   // VirtualAddress (a file offset for this entry) + Size
)

// layout is where Authenticode looks in an image: the fields the hash
// skips and the attribute certificate table.
type layout struct {
	checksum  int // file offset of CheckSum
	certDir   int // file offset of the Certificate Table data directory entry
	certStart int // file offset of the certificate table, or the file size if none
}

func (l layout) signed(b []byte) bool { return l.certStart < len(b) }

// parseLayout finds the fields of b that Authenticode needs and checks that
// the image can be hashed unambiguously (see the package doc).
func parseLayout(b []byte) (layout, error) {
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		return layout{}, fmt.Errorf("authenticode: parse PE: %w", err)
	}
	defer f.Close()
	opt := int(binary.LittleEndian.Uint32(b[0x3c:])) + 4 + 20 // "PE\0\0" + COFF header
	var dirs int
	var nDirs, sizeOfHeaders uint32
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		dirs, nDirs, sizeOfHeaders = opt+optDirs32, oh.NumberOfRvaAndSizes, oh.SizeOfHeaders
	case *pe.OptionalHeader64:
		dirs, nDirs, sizeOfHeaders = opt+optDirs64, oh.NumberOfRvaAndSizes, oh.SizeOfHeaders
	default:
		return layout{}, errors.New("authenticode: PE image has no optional header")
	}
	l := layout{checksum: opt + optChecksum, certDir: dirs + pe.IMAGE_DIRECTORY_ENTRY_SECURITY*dirEntry}
	if nDirs <= pe.IMAGE_DIRECTORY_ENTRY_SECURITY || l.certDir+dirEntry > int(sizeOfHeaders) || int(sizeOfHeaders) > len(b) {
		return layout{}, fmt.Errorf("authenticode: PE headers have no certificate table entry (%d data directories, SizeOfHeaders %#x)", nDirs, sizeOfHeaders)
	}
	if l.certStart, err = certTable(b, l.certDir); err != nil {
		return layout{}, err
	}
	if err := checkSections(f.Sections, int64(sizeOfHeaders), int64(l.certStart)); err != nil {
		return layout{}, err
	}
	return l, nil
}

// certTable returns the file offset of the attribute certificate table,
// which must end the file, or the file size when there is none.
func certTable(b []byte, certDir int) (int, error) {
	off := int64(binary.LittleEndian.Uint32(b[certDir:]))
	size := int64(binary.LittleEndian.Uint32(b[certDir+4:]))
	switch {
	case off == 0 && size == 0:
		return len(b), nil
	case size < 8 || off+size != int64(len(b)):
		return 0, fmt.Errorf("authenticode: certificate table at %#x, %d bytes, does not end the %d-byte file", off, size, len(b))
	}
	return int(off), nil
}

// checkSections checks that the raw data of the sections is contiguous
// from sizeOfHeaders and ends before end.
func checkSections(sections []*pe.Section, sizeOfHeaders, end int64) error {
	raw := slices.DeleteFunc(slices.Clone(sections), func(s *pe.Section) bool { return s.Size == 0 })
	slices.SortStableFunc(raw, func(a, b *pe.Section) int { return cmp.Compare(a.Offset, b.Offset) })
	next := sizeOfHeaders
	for _, s := range raw {
		if int64(s.Offset) != next {
			return fmt.Errorf("authenticode: section %s data at %#x, expected %#x: section data is not contiguous, and verifiers disagree on the hash of such images", s.Name, s.Offset, next)
		}
		next += int64(s.Size)
	}
	if next > end {
		return fmt.Errorf("authenticode: section data ends at %#x, past the image end %#x", next, end)
	}
	return nil
}

// digest is the Authenticode SHA-256 of b: everything before the
// certificate table except the checksum and the table's directory entry,
// followed by zeros to a multiple of 8 bytes (the padding a signer puts in
// front of the table; Sign has already added it).
func (l layout) digest(b []byte) []byte {
	h := sha256.New()
	h.Write(b[:l.checksum])
	h.Write(b[l.checksum+4 : l.certDir])
	h.Write(b[l.certDir+dirEntry : l.certStart])
	h.Write(make([]byte, align8(l.certStart)-l.certStart))
	return h.Sum(nil)
}

// putChecksum stores the PE checksum of b in it: the 16-bit one's
// complement style sum of the file with the checksum field taken as zero,
// plus the file length (as imagehlp's CheckSumMappedFile computes it).
func (l layout) putChecksum(b []byte) {
	binary.LittleEndian.PutUint32(b[l.checksum:], 0)
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i])
		if i+1 < len(b) {
			w |= uint32(b[i+1]) << 8
		}
		sum += w
		sum = sum&0xffff + sum>>16
	}
	binary.LittleEndian.PutUint32(b[l.checksum:], sum+uint32(len(b)))
}

func align8(n int) int { return (n + 7) &^ 7 }
