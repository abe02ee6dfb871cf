package netanswers

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oemRaw builds a type 11 structure by hand as DSP0134 §7.12 lays it
// out: type 0Bh, length 05h, handle (little endian), Count, then the
// string set, each string NUL-terminated, the set ended by one more NUL.
func oemRaw(handle uint16, count byte, strs ...string) []byte {
	b := []byte{0x0b, 0x05, byte(handle), byte(handle >> 8), count}
	return append(b, stringSet(strs...)...)
}

// stringSet is a string set; with no strings, two NULs (§6.1.3).
func stringSet(strs ...string) []byte {
	if len(strs) == 0 {
		return []byte{0, 0}
	}
	var b []byte
	for _, s := range strs {
		b = append(append(b, s...), 0)
	}
	return append(b, 0)
}

func TestParseStructures(t *testing.T) {
	// A System Information structure (type 1) cut to its first string
	// fields: Manufacturer, Product Name, Version, Serial Number.
	type1 := append([]byte{0x01, 0x08, 0x00, 0x01, 1, 2, 3, 4}, stringSet("QEMU", "Standard PC", "pc-q35", "SN-1")...)
	end := []byte{0x7f, 0x04, 0xff, 0xfe, 0, 0}
	table := slices.Concat(type1,
		oemRaw(0x0b00, 2, "plinth.answers-url=http://10.0.2.2/a", "vendor=x"),
		oemRaw(0x0b01, 1, "plinth.report-url=http://10.0.2.2/r"),
		end, []byte("after the end"))
	tests := []struct {
		name    string
		data    []byte
		types   []byte
		strs    [][]string
		handles []uint16
		wantErr string
	}{
		{name: "one OEM structure", data: oemRaw(0x0b00, 2, "a=1", "b=2"),
			types: []byte{11}, strs: [][]string{{"a=1", "b=2"}}, handles: []uint16{0x0b00}},
		{name: "no strings", data: oemRaw(0x1234, 0),
			types: []byte{11}, strs: [][]string{nil}, handles: []uint16{0x1234}},
		{name: "table of several, walk stops at end-of-table", data: table,
			types:   []byte{1, 11, 11},
			strs:    [][]string{{"QEMU", "Standard PC", "pc-q35", "SN-1"}, {"plinth.answers-url=http://10.0.2.2/a", "vendor=x"}, {"plinth.report-url=http://10.0.2.2/r"}},
			handles: []uint16{0x0100, 0x0b00, 0x0b01}},
		{name: "short header", data: []byte{0x0b, 0x05, 0x00}, wantErr: "shorter than the 4-byte header"},
		{name: "length below header", data: []byte{0x0b, 0x03, 0, 0, 0, 0}, wantErr: "length 3 is shorter"},
		{name: "length past data", data: []byte{0x0b, 0x05, 0, 0}, wantErr: "length 5, but only 4 bytes"},
		{name: "strings not terminated", data: []byte{0x0b, 0x05, 0, 0, 1, 'a', 'b'}, wantErr: "not terminated"},
		{name: "set without its last NUL", data: []byte{0x0b, 0x05, 0, 0, 1, 'a', 0}, wantErr: "not terminated"},
		{name: "empty set with one NUL", data: []byte{0x0b, 0x05, 0, 0, 0, 0}, wantErr: "two NULs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStructures(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.types) {
				t.Fatalf("got %d structures, want %d", len(got), len(tt.types))
			}
			for i, s := range got {
				if s.Type != tt.types[i] || s.Handle != tt.handles[i] || !slices.Equal(s.Strings, tt.strs[i]) {
					t.Errorf("structure %d = type %d handle %#x %q, want type %d handle %#x %q",
						i, s.Type, s.Handle, s.Strings, tt.types[i], tt.handles[i], tt.strs[i])
				}
			}
		})
	}
}

func TestOEMStrings(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		want    []string
		wantErr string
	}{
		{name: "count matches", raw: oemRaw(1, 2, "a", "b"), want: []string{"a", "b"}},
		{name: "count above the set", raw: oemRaw(1, 3, "a", "b"), want: []string{"a", "b"}},
		{name: "count below the set", raw: oemRaw(1, 1, "a", "b"), want: []string{"a"}},
		{name: "none", raw: oemRaw(1, 0), want: []string{}},
		{name: "no Count byte", raw: append([]byte{0x0b, 0x04, 0, 0}, 0, 0), wantErr: "has no Count"},
		{name: "not type 11", raw: append([]byte{0x01, 0x05, 0, 0, 0}, 0, 0), wantErr: "type 1, not OEM Strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss, err := ParseStructures(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := OEMStrings(ss[0])
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("OEMStrings = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// writeEntry writes a dmi-sysfs entry directory with its raw file.
func writeEntry(t *testing.T, sys, name string, raw []byte) {
	t.Helper()
	dir := filepath.Join(sys, "firmware", "dmi", "entries", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "raw"), raw, 0o400); err != nil {
		t.Fatal(err)
	}
}

func TestReadOEMStrings(t *testing.T) {
	sys := t.TempDir()
	if got, err := ReadOEMStrings(sys); err != nil || len(got) != 0 {
		t.Fatalf("without dmi-sysfs: %q, %v; want none, no error", got, err)
	}
	writeEntry(t, sys, "1-0", append([]byte{0x01, 0x05, 0, 1, 1}, stringSet("plinth.answers-url=http://not/oem")...))
	writeEntry(t, sys, "11-10", oemRaw(0x0b0a, 1, "ten"))
	writeEntry(t, sys, "11-2", oemRaw(0x0b02, 1, "plinth.report-url=http://r/${uuid}"))
	writeEntry(t, sys, "11-0", oemRaw(0x0b00, 2, "vendor=1", "plinth.answers-url=http://a/${mac}"))
	got, err := ReadOEMStrings(sys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"vendor=1", "plinth.answers-url=http://a/${mac}", "plinth.report-url=http://r/${uuid}", "ten"}
	if !slices.Equal(got, want) {
		t.Errorf("ReadOEMStrings = %q, want %q (instance order, type 1 left out)", got, want)
	}
	o, err := ReadOEM(sys)
	if err != nil || o != (OEM{AnswersURL: "http://a/${mac}", ReportURL: "http://r/${uuid}"}) {
		t.Errorf("ReadOEM = %+v, %v", o, err)
	}

	writeEntry(t, sys, "11-3", []byte{0x0b, 0x05, 0, 0, 1, 'x'})
	if _, err := ReadOEMStrings(sys); err == nil || !strings.Contains(err.Error(), "11-3") {
		t.Errorf("broken entry: err = %v, want one naming 11-3", err)
	}
}

func TestParseOEM(t *testing.T) {
	tests := []struct {
		name    string
		strs    []string
		want    OEM
		wantErr string
	}{
		{name: "none", strs: []string{"vendor=1", "free text"}},
		{name: "both", strs: []string{"plinth.answers-url=http://a/${uuid}", "x", "plinth.report-url=https://r/"},
			want: OEM{AnswersURL: "http://a/${uuid}", ReportURL: "https://r/"}},
		{name: "spaces trimmed", strs: []string{" plinth.answers-url = http://a/ "}, want: OEM{AnswersURL: "http://a/"}},
		{name: "same value twice", strs: []string{"plinth.answers-url=http://a/", "plinth.answers-url=http://a/"}, want: OEM{AnswersURL: "http://a/"}},
		{name: "other keys with the prefix", strs: []string{"plinth.answers-urls=http://x/", "plinth.answers=http://y/"}},
		{name: "value holding =", strs: []string{"plinth.answers-url=http://a/?m=${mac}"}, want: OEM{AnswersURL: "http://a/?m=${mac}"}},
		{name: "conflict", strs: []string{"plinth.answers-url=http://a/", "plinth.answers-url=http://b/"}, wantErr: `"http://a/" and "http://b/"`},
		{name: "empty", strs: []string{"plinth.report-url="}, wantErr: "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOEM(tt.strs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseOEM = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
