package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

const mib = 1 << 20

// fsck runs fsck.fat -n and fails on errors or warnings.
func fsck(t *testing.T, img string) {
	t.Helper()
	out, err := exec.Command(testdisk.Tool(t, "fsck.fat"), "-n", img).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err != nil || len(lines) != 2 {
		t.Fatalf("fsck.fat -n %s: %v\n%s", img, err, out)
	}
}

// open reads back the filesystem at off in img.
func open(t *testing.T, img string, off int64) *vfat.FS {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := vfat.Open(f, off, fi.Size()-off)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestRun(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"EFI/BOOT/BOOTX64.EFI":   "efi binary",
		"loader/loader.conf":     "timeout 3\n",
		"Plinth Installer.json":  `{"a":1}`,
		"loader/entries/a b.cfg": "entry\n",
	}
	for p, data := range files {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("loader/loader.conf", filepath.Join(src, "link.conf")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string // "IMG" is replaced by the image path
		prepare int64    // if non-zero, create IMG with this size first
		off     int64    // where the filesystem should be
		fatType int
		label   string
		volID   uint32
		check   func(t *testing.T, fsys *vfat.FS)
	}{
		{name: "create", args: []string{"-C", "IMG", "40000"}, fatType: 16, label: "NO NAME"},
		{name: "create FAT32 with label and ID", args: []string{"-F", "32", "-n", "plinth", "-i", "1234abcd", "-C", "IMG", "40000"},
			fatType: 32, label: "PLINTH", volID: 0x1234abcd},
		{name: "attached values", args: []string{"-F32", "-nESP", "-i0000beef", "-C", "IMG", "40000"}, fatType: 32, label: "ESP", volID: 0xbeef},
		{name: "options after target", args: []string{"-C", "IMG", "2048", "-F", "12", "-s", "1"}, fatType: 12, label: "NO NAME"},
		{name: "existing file", args: []string{"-n", "x", "IMG"}, prepare: 64 * mib, fatType: 16, label: "X"},
		{name: "existing file with size", args: []string{"IMG", "2048"}, prepare: 64 * mib, fatType: 12, label: "NO NAME"},
		{name: "offset", args: []string{"--offset", "2048", "-F", "32", "IMG"}, prepare: 65 * mib, off: mib, fatType: 32, label: "NO NAME",
			check: func(t *testing.T, fsys *vfat.FS) {
				if h := fsys.BootSector().HiddenSectors; h != 2048 {
					t.Errorf("hidden sectors %d, want 2048", h)
				}
			}},
		{name: "4K sectors", args: []string{"-S", "4096", "-F", "32", "-C", "IMG", "300000"}, fatType: 32, label: "NO NAME",
			check: func(t *testing.T, fsys *vfat.FS) {
				if ss := fsys.BootSector().BytesPerSector; ss != 4096 {
					t.Errorf("sector size %d, want 4096", ss)
				}
			}},
		{name: "from directory", args: []string{"-d", src, "-n", "PLINTH", "-C", "IMG", "8192"}, fatType: 12, label: "PLINTH",
			check: func(t *testing.T, fsys *vfat.FS) {
				for p, want := range files {
					got, err := fsys.ReadFile(p)
					if err != nil || string(got) != want {
						t.Errorf("%s: %q, %v; want %q", p, got, err, want)
					}
				}
				if got, err := fsys.ReadFile("link.conf"); err != nil || string(got) != files["loader/loader.conf"] {
					t.Errorf("symbolic link not followed: %q, %v", got, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "fat.img")
			if tt.prepare != 0 {
				if err := os.WriteFile(img, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(img, tt.prepare); err != nil {
					t.Fatal(err)
				}
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "IMG", img)
			}
			var stdout, stderr bytes.Buffer
			if err := run(args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q): %v\n%s", args, err, stderr.Bytes())
			}
			if tt.off == 0 {
				fsck(t, img)
			}
			fsys := open(t, img, tt.off)
			bs := fsys.BootSector()
			if bs.FATType != tt.fatType {
				t.Errorf("FAT%d, want FAT%d", bs.FATType, tt.fatType)
			}
			if label, err := fsys.Label(); err != nil || label != tt.label {
				t.Errorf("label %q, %v; want %q", label, err, tt.label)
			}
			if tt.volID != 0 && bs.VolumeID != tt.volID {
				t.Errorf("volume ID %#x, want %#x", bs.VolumeID, tt.volID)
			}
			if tt.check != nil {
				tt.check(t, fsys)
			}
		})
	}
}

// TestRunMtools checks an image from -d with mtools.
func TestRunMtools(t *testing.T) {
	src := t.TempDir()
	want := bytes.Repeat([]byte("plinth "), 100000)
	if err := os.WriteFile(filepath.Join(src, "Big File.bin"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "esp.img")
	if err := run([]string{"-F", "32", "-n", "ESP", "-d", src, "-C", img, "40000"}, new(bytes.Buffer), new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	got, err := exec.Command(testdisk.Tool(t, "mcopy"), "-n", "-i", img, "::/Big File.bin", "-").Output()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("mcopy read %d bytes (%v), want %d", len(got), err, len(want))
	}
	out, err := exec.Command(testdisk.Tool(t, "mdir"), "-i", img, "::").Output()
	if err != nil || !strings.Contains(string(out), "Volume in drive : is ESP") {
		t.Fatalf("mdir: %v\n%s", err, out)
	}
}

// TestRunErrors checks that mistakes give one clear line and leave no
// half-made image behind.
func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.img")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "new.img")
	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"no target", nil, "no TARGET given", true},
		{"too many", []string{"a", "1", "2"}, "too many arguments", true},
		{"-C without size", []string{"-C", img}, "-C needs a size", true},
		{"bad size", []string{"-C", img, "12x"}, "must be a positive number of KiB", true},
		{"unknown flag", []string{"-q", img}, "flag provided but not defined", true},
		{"bad FAT type", []string{"-F", "24", "-C", img, "1024"}, "FAT type 24 not supported", false},
		{"bad label", []string{"-n", "a/b", "-C", img, "1024"}, "cannot hold", false},
		{"bad volume ID", []string{"-i", "xyz", "-C", img, "1024"}, "hex digits", true},
		{"bad sector size", []string{"-S", "520", "-C", img, "1024"}, "sector size 520", false},
		{"too small for FAT32", []string{"-F", "32", "-C", img, "1024"}, "too small for FAT32", false},
		{"missing directory", []string{"-d", filepath.Join(dir, "nope"), "-C", img, "1024"}, "not a readable directory", false},
		{"existing with -C", []string{"-C", existing, "1024"}, "already exists", false},
		{"missing target", []string{img}, "use -C TARGET SIZE_KIB", false},
		{"offset beyond end", []string{"--offset", "100", existing}, "beyond the end", false},
		{"not a file", []string{dir}, "neither a regular file nor a block device", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(tt.args, new(bytes.Buffer), &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("run(%q) = %v, want one line containing %q", tt.args, err, tt.want)
			}
			if got := errors.As(err, new(usageError)); got != tt.usage {
				t.Errorf("usage error = %v, want %v", got, tt.usage)
			}
			if _, err := os.Stat(img); err == nil {
				t.Errorf("%s left behind", img)
				os.Remove(img)
			}
			if b, err := os.ReadFile(existing); err != nil || string(b) != "keep me" {
				t.Errorf("existing file changed: %q, %v", b, err)
			}
		})
	}
}

func TestSplitAttached(t *testing.T) {
	got := splitAttached([]string{"-F32", "-nLABEL", "-C", "--offset", "8", "-v", "img", "--", "-F16"})
	want := []string{"-F", "32", "-n", "LABEL", "-C", "--offset", "8", "-v", "img", "--", "-F16"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("splitAttached = %q, want %q", got, want)
	}
}
