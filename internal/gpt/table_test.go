package gpt

import (
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

func TestNewGeometry(t *testing.T) {
	tests := []struct {
		size               int64
		ss                 int
		first, last, align uint64
	}{
		{8 << 30, 512, 34, 16777182, 2048}, // as sgdisk -p shows for 8 GiB
		{1 << 30, 4096, 6, 262138, 256},    // as sgdisk -p shows on a 4Kn loop
		{100 << 20, 512, 34, 204766, 2048},
	}
	for _, tc := range tests {
		tb, err := New(tc.size, tc.ss)
		if err != nil {
			t.Fatal(err)
		}
		if tb.FirstUsable != tc.first || tb.LastUsable != tc.last || tb.Alignment != tc.align || tb.Entries != 128 {
			t.Errorf("New(%d, %d): usable %d-%d align %d entries %d; want %d-%d align %d",
				tc.size, tc.ss, tb.FirstUsable, tb.LastUsable, tb.Alignment, tb.Entries, tc.first, tc.last, tc.align)
		}
	}
	for _, bad := range []struct {
		size int64
		ss   int
	}{{1 << 20, 500}, {1 << 20, 8192}, {10 * 512, 512}, {-1, 512}} {
		if _, err := New(bad.size, bad.ss); err == nil {
			t.Errorf("New(%d, %d) succeeded", bad.size, bad.ss)
		}
	}
}

func TestAdd(t *testing.T) {
	base := func() *Table {
		tb, err := New(100<<20, 512) // usable 34-204766
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Add(Partition{Number: 1, Type: TypeESP, FirstLBA: 2048, LastLBA: 4095, Name: "ESP"}); err != nil {
			t.Fatal(err)
		}
		return tb
	}
	g := guid.MustParse("11111111-2222-3333-4444-555555555555")
	tests := []struct {
		name    string
		p       Partition
		wantErr string
	}{
		{"ok", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 204766}, ""},
		{"overlap", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 2048, LastLBA: 8191}, "overlaps partition 1"},
		{"overlap end", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 0, LastLBA: 2048}, "outside the usable"},
		{"beyond end", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 204767}, "outside the usable"},
		{"unaligned", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 4097, LastLBA: 8191}, "not aligned"},
		{"same number", Partition{Number: 1, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 8191}, "already exists"},
		{"number 0", Partition{Number: 0, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 8191}, "out of range"},
		{"number 129", Partition{Number: 129, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 8191}, "out of range"},
		{"no type", Partition{Number: 2, FirstLBA: 4096, LastLBA: 8191}, "type is zero"},
		{"reversed", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 8192, LastLBA: 4096}, "after last sector"},
		{"long name", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 8191, Name: strings.Repeat("x", 37)}, "longer than 36"},
		{"36 units", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 8191, Name: strings.Repeat("é", 36)}, ""},
		{"surrogates", Partition{Number: 2, Type: TypeLinuxFS, FirstLBA: 4096, LastLBA: 8191, Name: strings.Repeat("😀", 19)}, "longer than 36"},
		{"GUID given", Partition{Number: 2, Type: TypeLinuxFS, GUID: g, FirstLBA: 4096, LastLBA: 8191}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := base()
			before := slices.Clone(tb.Partitions)
			err := tb.Add(tc.p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Add: error %v, want %q", err, tc.wantErr)
				}
				if !slices.Equal(tb.Partitions, before) {
					t.Errorf("rejected Add changed the table: %v", tb.Partitions)
				}
				return
			}
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			p := tb.Partition(tc.p.Number)
			if p == nil || p.GUID.IsZero() || (!tc.p.GUID.IsZero() && p.GUID != tc.p.GUID) {
				t.Errorf("added partition %+v", p)
			}
		})
	}
	tb := base()
	dup := *tb.Partition(1)
	dup.Number, dup.FirstLBA, dup.LastLBA = 2, 4096, 8191
	if err := tb.Add(dup); err == nil || !strings.Contains(err.Error(), "same GUID") {
		t.Errorf("duplicate GUID: %v", err)
	}
}

func TestFree(t *testing.T) {
	tb, err := New(100<<20, 512)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tb.FirstFree(); s != 2048 {
		t.Errorf("FirstFree on empty table = %d, want 2048", s)
	}
	if e, _ := tb.FreeEnd(2048); e != 204766 {
		t.Errorf("FreeEnd(2048) = %d, want 204766", e)
	}
	for _, p := range []Partition{
		{Number: 3, Type: TypeLinuxFS, FirstLBA: 8192, LastLBA: 10239},
		{Number: 1, Type: TypeLinuxFS, FirstLBA: 2048, LastLBA: 4095},
	} {
		if err := tb.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	want := []Extent{{34, 2047}, {4096, 8191}, {10240, 204766}}
	if got := tb.Free(); !slices.Equal(got, want) {
		t.Errorf("Free = %v, want %v", got, want)
	}
	if s, _ := tb.FirstFree(); s != 4096 {
		t.Errorf("FirstFree = %d, want 4096", s)
	}
	if e, _ := tb.FreeEnd(5000); e != 8191 {
		t.Errorf("FreeEnd(5000) = %d, want 8191", e)
	}
	if _, err := tb.FreeEnd(9000); err == nil {
		t.Errorf("FreeEnd inside a partition succeeded")
	}
	if e, ok := tb.LargestFree(); !ok || e != (Extent{10240, 204766}) {
		t.Errorf("LargestFree = %v, %v", e, ok)
	}
	if n := tb.NextNumber(); n != 2 {
		t.Errorf("NextNumber = %d, want 2", n)
	}
	if err := tb.Delete(3); err != nil || tb.Partition(3) != nil {
		t.Errorf("Delete(3): %v", err)
	}
	if err := tb.Delete(3); err == nil {
		t.Errorf("Delete of a missing partition succeeded")
	}
	tb.Alignment = 1
	tb.Partitions = []Partition{{Number: 1, Type: TypeLinuxFS, GUID: guid.Random(), FirstLBA: 34, LastLBA: 204766}}
	if _, err := tb.FirstFree(); err == nil {
		t.Errorf("FirstFree on a full disk succeeded")
	}
}
