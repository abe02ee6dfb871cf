package iso

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestGUID(t *testing.T) {
	if got, want := espType.String(), ESPTypeGUID; got != want {
		t.Errorf("espType = %s, want %s", got, want)
	}
	d := espType.disk()
	// On disk the first three fields are little-endian (what xorriso prints).
	if got, want := d, [16]byte{0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B}; got != want {
		t.Errorf("espType.disk() = % x, want % x", got, want)
	}
	if guidFromDisk(d[:]) != espType {
		t.Error("guidFromDisk(disk()) does not round-trip")
	}
	a, b := derivedGUID([]byte("x"), "disk"), derivedGUID([]byte("x"), "partition 1")
	if a == b || a != derivedGUID([]byte("x"), "disk") || a == derivedGUID([]byte("y"), "disk") {
		t.Error("derivedGUID is not a deterministic function of digest and label")
	}
	if a[6]>>4 != 4 || a[8]>>6 != 2 {
		t.Errorf("derivedGUID %v lacks version/variant bits", a)
	}
}

func TestCHS(t *testing.T) {
	tests := []struct {
		lba  uint64
		want []byte
	}{
		{1, []byte{0x00, 0x02, 0x00}},
		{6563, []byte{0x0d, 0x04, 0x03}}, // from xorriso's protective MBR
		{64*32*1024 - 1, []byte{63, 32 | 3<<6, 0xFF}},
		{1 << 40, []byte{63, 32 | 3<<6, 0xFF}}, // saturates
	}
	for _, tc := range tests {
		if got := chs(tc.lba); !bytes.Equal(got, tc.want) {
			t.Errorf("chs(%d) = % x, want % x", tc.lba, got, tc.want)
		}
	}
}

// testDisk builds a disk image of n sectors with one ESP.
func testDisk(t *testing.T, n uint64) ([]byte, Partition) {
	t.Helper()
	p := Partition{Number: 1, Type: espType, GUID: derivedGUID(nil, "p"), FirstLBA: 64, LastLBA: 127, Attributes: espAttributes, Name: espName}
	primary, backup, err := buildSystemArea(n, derivedGUID(nil, "d"), []Partition{p})
	if err != nil {
		t.Fatal(err)
	}
	disk := make([]byte, n*sectorSize)
	copy(disk, primary)
	copy(disk[len(disk)-len(backup):], backup)
	return disk, p
}

func TestReadGPTRoundTrip(t *testing.T) {
	disk, p := testDisk(t, 256)
	g, err := ReadGPT(bytes.NewReader(disk))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Partitions) != 1 || g.Partitions[0] != p {
		t.Errorf("partitions %+v, want [%+v]", g.Partitions, p)
	}
	if g.DiskGUID != derivedGUID(nil, "d") || g.FirstUsableLBA != 34 || g.LastUsableLBA != 256-34 || g.BackupLBA != 255 {
		t.Errorf("header %+v", g)
	}
	if len(g.MBR) != 1 || g.MBR[0] != (MBRPartition{Status: 0, Type: 0xEE, FirstLBA: 1, Sectors: 255}) {
		t.Errorf("MBR %+v", g.MBR)
	}
	if p.Offset() != 64*512 || p.Size() != 64*512 {
		t.Errorf("Offset/Size = %d/%d", p.Offset(), p.Size())
	}
}

func TestReadGPTRejects(t *testing.T) {
	const n = 256
	tests := []struct {
		name   string
		mutate func([]byte)
		want   string
	}{
		{"no MBR signature", func(d []byte) { d[511] = 0 }, "0x55AA"},
		{"primary signature", func(d []byte) { d[512] = 'X' }, "primary GPT: no GPT signature"},
		{"primary header CRC", func(d []byte) { d[512+40]++ }, "primary GPT: header CRC"},
		{"primary array CRC", func(d []byte) { d[1024+60]++ }, "primary GPT: partition array CRC"},
		{"backup header CRC", func(d []byte) { d[(n-1)*512+40]++ }, "backup GPT: header CRC"},
		{"backup array CRC", func(d []byte) { d[(n-33)*512+60]++ }, "backup GPT: partition array CRC"},
		{"backup missing", func(d []byte) { clear(d[(n-1)*512:]) }, "backup GPT: no GPT signature"},
		{"huge array", func(d []byte) {
			h := d[512:1024]
			binary.LittleEndian.PutUint32(h[80:], 1<<20)
			fixHeaderCRC(h)
		}, "partition array of"},
		{"bad entry size", func(d []byte) {
			h := d[512:1024]
			binary.LittleEndian.PutUint32(h[84:], 100)
			fixHeaderCRC(h)
		}, "entry size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			disk, _ := testDisk(t, n)
			tc.mutate(disk)
			_, err := ReadGPT(bytes.NewReader(disk))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadGPT error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func fixHeaderCRC(h []byte) {
	binary.LittleEndian.PutUint32(h[16:], 0)
	binary.LittleEndian.PutUint32(h[16:], crc32IEEE(h[:gptHeaderSize]))
}

func TestBuildSystemAreaRejects(t *testing.T) {
	bad := []Partition{
		{Number: 1, Type: espType, FirstLBA: 10, LastLBA: 20},  // overlaps the primary array
		{Number: 1, Type: espType, FirstLBA: 64, LastLBA: 250}, // overlaps the backup
		{Number: 0, Type: espType, FirstLBA: 64, LastLBA: 65},  // no slot 0
		{Number: 1, Type: espType, FirstLBA: 70, LastLBA: 65},  // reversed
		{Number: 1, Type: espType, FirstLBA: 64, LastLBA: 65, Name: strings.Repeat("x", 37)},
	}
	for _, p := range bad {
		if _, _, err := buildSystemArea(256, GUID{}, []Partition{p}); err == nil {
			t.Errorf("buildSystemArea accepted %+v", p)
		}
	}
	if _, _, err := buildSystemArea(60, GUID{}, nil); err == nil {
		t.Error("buildSystemArea accepted a 60-sector disk")
	}
}

func TestSortDirRecords(t *testing.T) {
	rec := func(name string, dir bool) []byte {
		r := make([]byte, 33+len(name)+(1-len(name)%2))
		r[0] = byte(len(r))
		if dir {
			r[drFlags] = flagDir
		}
		r[drNameLen] = byte(len(name))
		copy(r[33:], name)
		return r
	}
	var buf []byte
	for _, r := range [][]byte{rec("\x00", true), rec("\x01", true), rec("ZETA.TXT;1", false), rec("A", true), rec("AB.;1", false), rec("A.TXT;1", false)} {
		buf = append(buf, r...)
	}
	buf = append(buf, make([]byte, isoBlock-len(buf))...)
	out, err := sortDirRecords(buf, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	forEachRecord(out, func(r dirRecord) error {
		names = append(names, string(r.name()))
		return nil
	})
	// "A" and "A.TXT" share the name part; the empty extension sorts first.
	want := []string{"\x00", "\x01", "A", "A.TXT;1", "AB.;1", "ZETA.TXT;1"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("sorted %q, want %q", names, want)
	}
}
