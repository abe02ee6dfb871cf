package gpt

import (
	"encoding/binary"
	"hash/crc32"
	"reflect"
	"testing"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/guid"
)

// Fuzz inputs are kept small, because the fuzzer minimizes every new
// input with a quadratic search: a disk is described by its primary
// header (92 bytes, at LBA 1) followed by the primary array (at LBA 2),
// and by its backup header (at the last LBA) followed by the backup array
// (at the LBA before). Everything else is zero but the protective MBR,
// which is there if pmbr is set. Disks are at most 64 KiB, so each run is
// cheap too.

const fuzzEntries = 4 // one array sector

func seedTable(f *testing.F, ss int) (head, tail []byte, sectors uint16) {
	const n = 16
	tb := &Table{SectorSize: ss, Sectors: n, DiskGUID: guid.Random(), Entries: fuzzEntries, FirstUsable: 3, LastUsable: n - 3, Alignment: 1}
	for _, p := range []Partition{
		{Number: 1, Type: TypeESP, FirstLBA: 3, LastLBA: 8, Name: "x"},
		{Number: 2, Type: TypeLinuxFS, FirstLBA: 9, LastLBA: n - 3},
	} {
		if err := tb.Add(p); err != nil {
			f.Fatal(err)
		}
	}
	mem := blockdev.NewMem(n*int64(ss), ss)
	if err := tb.Write(mem); err != nil {
		f.Fatal(err)
	}
	d := mem.Bytes()
	s := func(lba, n int) []byte { return d[lba*ss:][:n] }
	return concat(s(1, headerSize), s(2, 2*entrySize)), concat(s(n-1, headerSize), s(n-2, 2*entrySize)), n
}

func concat(b ...[]byte) []byte {
	var out []byte
	for _, x := range b {
		out = append(out, x...)
	}
	return out
}

// fuzzDisk lays out head and tail as described above.
func fuzzDisk(head, tail []byte, sectors uint16, ss int, pmbr bool) *blockdev.Mem {
	n := min(max(int(sectors), 6), (64<<10)/ss)
	mem := blockdev.NewMem(int64(n*ss), ss)
	d := mem.Bytes()
	put := func(b []byte, hdrLBA, arrLBA int) {
		copy(d[hdrLBA*ss:][:headerSize], b)
		if len(b) > headerSize {
			copy(d[arrLBA*ss:], b[headerSize:])
		}
	}
	put(head, 1, 2)
	put(tail, n-1, n-2)
	if pmbr {
		copy(d[440:], protectiveMBR(uint64(n)))
	}
	return mem
}

// fixCRCs recomputes the CRCs of whatever headers are on d, so that the
// fuzzer gets past the CRC checks to the structural ones.
func fixCRCs(d []byte, ss int) {
	le := binary.LittleEndian
	for _, lba := range []int{1, len(d)/ss - 1} {
		h := d[lba*ss:][:ss]
		arr := le.Uint64(h[72:])
		size := uint64(le.Uint32(h[80:])) * uint64(le.Uint32(h[84:]))
		if arr < uint64(len(d)/ss) && size <= uint64(len(d))-arr*uint64(ss) {
			le.PutUint32(h[88:], crc32.ChecksumIEEE(d[arr*uint64(ss):][:size]))
		}
		hs := min(int(le.Uint32(h[12:])), ss)
		clear(h[16:20])
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:hs]))
	}
}

func FuzzReadHeader(f *testing.F) {
	head, _, _ := seedTable(f, 512)
	f.Add(head[:headerSize], uint64(16))
	f.Add(head[:headerSize], uint64(3))
	f.Add([]byte("EFI PART"), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, sectors uint64) {
		h, err := parseHeader(b, sectors)
		if err != nil {
			return
		}
		// What parses must re-encode to the same fields.
		h2, err := parseHeader(h.marshal(max(len(b), headerSize)), sectors)
		if err != nil || *h2 != *h {
			t.Fatalf("re-encoded header %+v, %v; want %+v", h2, err, h)
		}
		_ = h.arraySectors(512)
	})
}

func FuzzReadTable(f *testing.F) {
	for _, ss := range []int{512, 4096} {
		head, tail, n := seedTable(f, ss)
		f.Add(head, tail, n, ss == 4096, false, true)
		f.Add(head, tail, n, ss == 4096, true, true)
	}
	f.Add([]byte{}, []byte{}, uint16(100), false, true, false)
	f.Fuzz(func(t *testing.T, head, tail []byte, sectors uint16, big, fix, pmbr bool) {
		ss := 512
		if big {
			ss = 4096
		}
		d := fuzzDisk(head, tail, sectors, ss, pmbr)
		if fix {
			fixCRCs(d.Bytes(), ss)
		}
		size := d.Size()
		_ = Verify(d, size, ss)
		tb, err := Read(d, size, ss)
		if err != nil {
			return
		}
		tb.Free()
		if tb.Validate() != nil {
			return
		}
		// A valid table survives a write and read back unchanged.
		out := blockdev.NewMem(size, ss)
		if err := tb.Write(out); err != nil {
			t.Fatalf("Write of a valid table: %v", err)
		}
		back, err := Read(out, size, ss)
		if err != nil {
			t.Fatalf("Read after Write: %v", err)
		}
		tb.FromBackup = false
		if !reflect.DeepEqual(back, tb) {
			t.Fatalf("round trip: %+v, want %+v", back, tb)
		}
		if err := Verify(out, size, ss); err != nil {
			t.Fatalf("Verify after Write: %v", err)
		}
	})
}
