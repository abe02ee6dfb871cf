package vfat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIsShort83(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"BOOTX64.EFI", true},
		{"EFI", true},
		{"A", true},
		{"12345678.123", true},
		{"ST~1.X", true},
		{"efi", false},
		{"Boot.efi", false},
		{"123456789", false},
		{"A.1234", false},
		{"A.B.C", false},
		{".A", false},
		{"A.", false},
		{"A B", false},
		{"A+B", false},
		{"É", false},
	}
	for _, tt := range tests {
		if got := isShort83(tt.name); got != tt.want {
			t.Errorf("isShort83(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestShortBasis(t *testing.T) {
	tests := []struct {
		name, base, ext string
		exact           bool
	}{
		{"plinth.json", "PLINTH", "JSO", false},
		{"loader.conf", "LOADER", "CON", false},
		{"efi", "EFI", "", true},
		{"Makefile", "MAKEFILE", "", true},
		{"readme.md", "README", "MD", true},
		{".bashrc", "BASHRC", "", false},
		{"a b.txt", "AB", "TXT", false},
		{"a.b.c", "AB", "C", false},
		{"a+b=c.d", "A_B_C", "D", false},
		{"naïve", "NA_VE", "", false},
		{"verylongname.tar.gz", "VERYLONG", "GZ", false},
	}
	for _, tt := range tests {
		base, ext, exact := shortBasis(tt.name)
		if base != tt.base || ext != tt.ext || exact != tt.exact {
			t.Errorf("shortBasis(%q) = %q, %q, %v; want %q, %q, %v", tt.name, base, ext, exact, tt.base, tt.ext, tt.exact)
		}
	}
}

func TestAssignShortNamesTails(t *testing.T) {
	var names []string
	for i := range 12 {
		names = append(names, "longfilename"+strings.Repeat("x", i)+".txt")
	}
	shorts, lfn, err := assignShortNames(names)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{0: "LONGFI~1TXT", 8: "LONGFI~9TXT", 9: "LONGF~10TXT", 11: "LONGF~12TXT"}
	for i, w := range want {
		if got := string(shorts[i][:]); got != w {
			t.Errorf("short name %d = %q, want %q", i, got, w)
		}
	}
	for i := range lfn {
		if !lfn[i] {
			t.Errorf("%q has no long name", names[i])
		}
	}
	if _, _, err := assignShortNames([]string{"A.TXT", "A.TXT"}); err == nil {
		t.Error("duplicate 8.3 names accepted")
	}
}

func TestCheckName(t *testing.T) {
	good := []string{"a", "A Long Name.txt", "naïve", "x..y", " lead", strings.Repeat("n", 255), "日本語.txt", "emoji-😀"}
	bad := []string{"", ".", "..", "a/b", "a\\b", "a:b", "a*", "a?", `a"`, "a<", "a>", "a|", "tab\t", "dot.", "space ",
		strings.Repeat("n", 256), strings.Repeat("😀", 128), "\xff"}
	for _, n := range good {
		if err := checkName(n); err != nil {
			t.Errorf("checkName(%q) = %v, want nil", n, err)
		}
	}
	for _, n := range bad {
		if err := checkName(n); err == nil {
			t.Errorf("checkName(%q) = nil, want an error", n)
		}
	}
}

// TestLFNRoundTrip encodes long names and parses them back.
func TestLFNRoundTrip(t *testing.T) {
	names := []string{"a", "exactly13char", "exactly26characters-long!!", "naïve café", "emoji-😀-name", strings.Repeat("z", 255)}
	for _, name := range names {
		b := make([]byte, (lfnEntryCount(name)+1)*dirEntrySize)
		short := packShort("X~1", "")
		n := putLFNEntries(b, name, lfnChecksum(short))
		putShortEntry(b[n:], short, attrArchive, 0, 0, dosTime{})
		d := parseDir(b, false)
		if len(d.entries) != 1 || d.entries[0].Name() != name || d.entries[0].ShortName() != "X~1" {
			t.Errorf("%q: parsed %+v", name, d.entries)
		}
		// A wrong checksum must drop the long name, not the entry.
		b[13]++
		if d := parseDir(b, false); len(d.entries) != 1 || d.entries[0].Name() != "X~1" {
			t.Errorf("%q with a bad checksum: parsed %+v", name, d.entries)
		}
	}
}

// TestLFNChecksumMatchesMtools checks our checksum and long-name layout
// against an entry written by mtools.
func TestLFNChecksumMatchesMtools(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "m.img")
	src := filepath.Join(dir, "A Long File Name.json")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, "mkfs.vfat", "-C", img, "1024")
	runTool(t, "mcopy", "-i", img, src, "::")
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fsys, err := Open(f, 0, mib)
	if err != nil {
		t.Fatal(err)
	}
	d, err := fsys.readDir(fsys.rootEntry())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.entries) != 1 || d.entries[0].Name() != "A Long File Name.json" {
		t.Fatalf("parsed %+v", d.entries)
	}
	// Re-encode with our writer and compare the long-name entries byte
	// for byte with what mtools wrote.
	bs := fsys.BootSector()
	raw := make([]byte, 3*dirEntrySize)
	root := int64(bs.ReservedSectors+bs.NumFATs*int(bs.FATSectors)) * int64(bs.BytesPerSector)
	if _, err := f.ReadAt(raw, root); err != nil {
		t.Fatal(err)
	}
	var short [shortNameLen]byte
	copy(short[:], raw[2*dirEntrySize:])
	ours := make([]byte, 2*dirEntrySize)
	putLFNEntries(ours, "A Long File Name.json", lfnChecksum(short))
	if string(ours) != string(raw[:2*dirEntrySize]) {
		t.Errorf("long-name entries differ from mtools'\n ours %x\nmtools %x", ours, raw[:2*dirEntrySize])
	}
}

func TestDOSTime(t *testing.T) {
	tests := []struct {
		in, want time.Time
	}{
		{time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC), time.Date(2024, 2, 29, 13, 14, 14, 0, time.UTC)},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)},
		{time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		d := toDOSTime(tt.in)
		if got := fromDOSTime(d.date, d.time); !got.Equal(tt.want) {
			t.Errorf("%v round-trips to %v, want %v", tt.in, got, tt.want)
		}
	}
}
