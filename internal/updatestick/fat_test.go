package updatestick

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

// TestFATLabel checks the label reader against internal/vfat's on what
// mkfs.fat and mlabel make.
func TestFATLabel(t *testing.T) {
	t.Parallel()
	mkfs, mlabel, mcopy := testdisk.Tool(t, "mkfs.fat"), testdisk.Tool(t, "mlabel"), testdisk.Tool(t, "mcopy")
	tests := []struct {
		name    string
		sizeMiB int64
		mkfs    []string
		prepare func(t *testing.T, img string)
		want    string
	}{
		{name: "FAT12", sizeMiB: 2, mkfs: []string{"-F", "12", "-n", Label}, want: Label},
		{name: "FAT16", sizeMiB: 16, mkfs: []string{"-F", "16", "-n", Label}, want: Label},
		{name: "FAT32", sizeMiB: 40, mkfs: []string{"-F", "32", "-n", Label}, want: Label},
		{name: "FAT32 4K sectors", sizeMiB: 300, mkfs: []string{"-F", "32", "-S", "4096", "-n", Label}, want: Label},
		{name: "no label", sizeMiB: 4, want: "NO NAME"},
		{name: "label only in the root", sizeMiB: 4, prepare: func(t *testing.T, img string) {
			testdisk.Run(t, mlabel, "-i", img, "::"+Label)
			if err := writeAt(img, 43, []byte("NO NAME    ")); err != nil {
				t.Fatal(err)
			}
		}, want: Label},
		{name: "root label past the first cluster", sizeMiB: 40, mkfs: []string{"-F", "32", "-s", "1"}, prepare: func(t *testing.T, img string) {
			src := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			for i := range 40 { // 16 entries fill a 512-byte cluster
				testdisk.Run(t, mcopy, "-i", img, src, fmt.Sprintf("::F%d.TXT", i))
			}
			testdisk.Run(t, mlabel, "-i", img, "::"+Label)
			if err := writeAt(img, 71, []byte("NO NAME    ")); err != nil { // the FAT32 boot sector's copy
				t.Fatal(err)
			}
		}, want: Label},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := testdisk.TempSparse(t, "fat.img", tt.sizeMiB<<20)
			testdisk.Run(t, mkfs, append(tt.mkfs, img)...)
			if tt.prepare != nil {
				tt.prepare(t, img)
			}
			label, serial, ok, err := readLabel(t, img)
			if !ok || err != nil || label != tt.want {
				t.Fatalf("fatLabel = %q, %v, %v, want %q", label, ok, err, tt.want)
			}
			vlabel, vserial := vfatLabel(t, img)
			if label != vlabel || serial != vserial {
				t.Errorf("fatLabel = %q %08X, vfat says %q %08X", label, serial, vlabel, vserial)
			}
		})
	}
}

func readLabel(t *testing.T, img string) (string, uint32, bool, error) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 512)
	if _, err := f.ReadAt(first, 0); err != nil {
		t.Fatal(err)
	}
	return fatLabel(f, fi.Size(), first)
}

func vfatLabel(t *testing.T, img string) (string, uint32) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := vfat.Open(f, 0, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	label, err := fsys.Label()
	if err != nil {
		t.Fatal(err)
	}
	return label, fsys.BootSector().VolumeID
}

func writeAt(path string, off int64, b []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt(b, off)
	return err
}

// TestNotFAT: what is not a FAT filesystem, or lies about its size, is
// not read as one, and garbage does not make the readers panic.
func TestNotFAT(t *testing.T) {
	t.Parallel()
	img := testdisk.TempSparse(t, "fat.img", 8<<20)
	testdisk.Run(t, testdisk.Tool(t, "mkfs.fat"), "-n", Label, img)
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"truncated image", b[:4<<20]},
		{"no 0x55AA", changeByte(b, 510)},
		{"zero sectors per cluster", withByte(b, 13, 0)},
		{"three sectors per cluster", withByte(b, 13, 3)},
		{"zeros", make([]byte, 1<<20)},
	} {
		f := bytesReader(tt.b)
		if _, _, ok, _ := fatLabel(f, int64(len(tt.b)), tt.b[:512]); ok {
			t.Errorf("%s: read as FAT", tt.name)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		junk := make([]byte, 64<<10)
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		copy(junk, b[:11]) // a plausible start
		junk[510], junk[511] = 0x55, 0xAA
		fatLabel(bytesReader(junk), int64(len(junk)), junk[:512])
		exfatLabel(bytesReader(junk), junk[:512])
	}
}

func withByte(b []byte, off int, v byte) []byte {
	b = append([]byte(nil), b...)
	b[off] = v
	return b
}

type bytesReader []byte

func (r bytesReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(r)) {
		return 0, fmt.Errorf("offset %d out of range", off)
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, fmt.Errorf("short read at %d", off)
	}
	return n, nil
}
