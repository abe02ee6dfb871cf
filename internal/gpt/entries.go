package gpt

import (
	"encoding/binary"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/guid"
)

// marshalArray encodes the partition array: Entries slots of 128 bytes,
// partition n in slot n-1, unused slots zero.
func (t *Table) marshalArray() []byte {
	b := make([]byte, t.Entries*entrySize)
	for _, p := range t.Partitions {
		e := b[(p.Number-1)*entrySize:][:entrySize]
		p.Type.PutMixed(e[0:16])
		p.GUID.PutMixed(e[16:32])
		binary.LittleEndian.PutUint64(e[32:], p.FirstLBA)
		binary.LittleEndian.PutUint64(e[40:], p.LastLBA)
		binary.LittleEndian.PutUint64(e[48:], p.Attributes)
		for i, u := range utf16.Encode([]rune(p.Name)) {
			binary.LittleEndian.PutUint16(e[56+2*i:], u)
		}
	}
	return b
}

// parseArray decodes the used entries of an array of n entries of size
// bytes each (size >= 128; bytes past 128 are ignored).
func parseArray(b []byte, n, size int) []Partition {
	var parts []Partition
	for i := 0; i < n; i++ {
		e := b[i*size:][:entrySize]
		typ := guid.FromMixed(e[0:16])
		if typ.IsZero() {
			continue
		}
		var name []uint16
		for j := 56; j < entrySize; j += 2 {
			u := binary.LittleEndian.Uint16(e[j:])
			if u == 0 {
				break
			}
			name = append(name, u)
		}
		parts = append(parts, Partition{
			Number:     i + 1,
			Type:       typ,
			GUID:       guid.FromMixed(e[16:32]),
			FirstLBA:   binary.LittleEndian.Uint64(e[32:]),
			LastLBA:    binary.LittleEndian.Uint64(e[40:]),
			Attributes: binary.LittleEndian.Uint64(e[48:]),
			Name:       string(utf16.Decode(name)),
		})
	}
	return parts
}
