package gpt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

// sample is a fixed two-partition table, deterministic given its GUIDs.
func sample(t testing.TB, size int64, ss int) *Table {
	t.Helper()
	tb, err := New(size, ss)
	if err != nil {
		t.Fatal(err)
	}
	tb.DiskGUID = guid.MustParse("A0000000-0000-4000-8000-000000000001")
	a := tb.Alignment
	for _, p := range []Partition{
		{Number: 1, Type: TypeESP, GUID: guid.MustParse("A0000000-0000-4000-8000-000000000002"), FirstLBA: a, LastLBA: 5*a - 1, Name: "ESP", Attributes: 1},
		{Number: 2, Type: TypeLinuxFS, GUID: guid.MustParse("A0000000-0000-4000-8000-000000000003"), FirstLBA: 5 * a, LastLBA: tb.LastUsable, Name: "data ü"},
	} {
		if err := tb.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

func TestWriteRead(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		size := int64(16 << 20)
		tb := sample(t, size, ss)
		disk := make(memDisk, size)
		copy(disk, strings.Repeat("boot", 110)) // boot code must survive
		if err := tb.Write(disk); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(disk, []byte(strings.Repeat("boot", 110))) {
			t.Errorf("%d: MBR boot code overwritten", ss)
		}
		got, err := Read(disk, size, ss)
		if err != nil {
			t.Fatalf("%d: Read: %v", ss, err)
		}
		if !reflect.DeepEqual(got, tb) {
			t.Errorf("%d: read back\n%+v\nwant\n%+v", ss, got, tb)
		}
		if err := Verify(disk, size, ss); err != nil {
			t.Errorf("%d: Verify: %v", ss, err)
		}
		// Same input, same bytes: images are reproducible.
		again := make(memDisk, size)
		copy(again, disk[:440])
		if err := sample(t, size, ss).Write(again); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(again) != sha256.Sum256(disk) {
			t.Errorf("%d: two writes of the same table differ", ss)
		}
	}
}

func TestReadFallsBackToBackup(t *testing.T) {
	const size, ss = 16 << 20, 512
	tests := []struct {
		name    string
		corrupt func(d memDisk)
	}{
		{"primary header CRC", func(d memDisk) { d[ss+60] ^= 0xFF }}, // in the disk GUID
		{"primary signature", func(d memDisk) { copy(d[ss:], "NOT PART") }},
		{"primary array", func(d memDisk) { d[2*ss+56] ^= 0xFF }}, // partition 1's name
		{"primary zeroed", func(d memDisk) { clear(d[ss : 34*ss]) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := sample(t, size, ss)
			disk := make(memDisk, size)
			if err := tb.Write(disk); err != nil {
				t.Fatal(err)
			}
			tc.corrupt(disk)
			got, err := Read(disk, size, ss)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !got.FromBackup {
				t.Errorf("FromBackup not set")
			}
			got.FromBackup = false
			if !reflect.DeepEqual(got, tb) {
				t.Errorf("backup gave\n%+v\nwant\n%+v", got, tb)
			}
			if err := Verify(disk, size, ss); err == nil || !strings.Contains(err.Error(), "primary GPT damaged") {
				t.Errorf("Verify: %v", err)
			}
			// Writing the recovered table repairs the primary.
			if err := got.Write(disk); err != nil {
				t.Fatal(err)
			}
			if err := Verify(disk, size, ss); err != nil {
				t.Errorf("Verify after repair: %v", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	const size, ss = 16 << 20, 512
	disk := make(memDisk, size)
	if _, err := Read(disk, size, ss); !errors.Is(err, ErrNotFound) {
		t.Errorf("blank disk: %v", err)
	}
	if err := sample(t, size, ss).Write(disk); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(disk, size, 4096); !errors.Is(err, ErrNotFound) {
		t.Errorf("wrong sector size: %v", err)
	}
	backup := make(memDisk, size)
	copy(backup, disk)
	backup[size-ss+60] ^= 1 // backup header's disk GUID
	if _, err := Read(backup, size, ss); err != nil {
		t.Errorf("damaged backup only: %v", err)
	}
	if err := Verify(backup, size, ss); err == nil || !strings.Contains(err.Error(), "backup GPT") {
		t.Errorf("Verify with damaged backup: %v", err)
	}
	noMBR := make(memDisk, size)
	copy(noMBR, disk)
	clear(noMBR[:ss])
	if err := Verify(noMBR, size, ss); err == nil || !strings.Contains(err.Error(), "protective MBR") {
		t.Errorf("Verify without MBR: %v", err)
	}
	if err := Zap(disk, size, ss); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(disk, size, ss); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Zap: %v", err)
	}
	if !bytes.Equal(disk, make([]byte, size)) {
		t.Errorf("Zap left GPT bytes behind")
	}
	if _, err := Read(disk[:size-1], size, ss); err == nil {
		t.Errorf("short read: no error")
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	const size, ss = 16 << 20, 512
	tb := sample(t, size, ss)
	tb.Partitions[1].FirstLBA = tb.Partitions[0].LastLBA // overlap made behind Add's back
	disk := make(memDisk, size)
	if err := tb.Write(disk); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("Write: %v", err)
	}
	if !bytes.Equal(disk, make([]byte, size)) {
		t.Errorf("rejected Write wrote something")
	}
}

func TestCHS(t *testing.T) {
	tests := []struct {
		lba  uint64
		want []byte
	}{
		{1, []byte{0x00, 0x02, 0x00}},
		{2097151, []byte{0x8A, 0x08, 0x82}}, // sgdisk's bytes for an 8 GiB 4Kn disk
		{16450559, []byte{0xFE, 0xFF, 0xFF}},
		{16450560, []byte{0xFF, 0xFF, 0xFF}},
	}
	for _, tc := range tests {
		if got := chs(tc.lba); !bytes.Equal(got, tc.want) {
			t.Errorf("chs(%d) = % X, want % X", tc.lba, got, tc.want)
		}
	}
}
