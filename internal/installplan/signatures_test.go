package installplan

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/probe"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// The probe package checks each format against blkid and wipefs; these
// tests check the names the installer gets for the disks it meets most.

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	testdisk.Run(t, testdisk.Tool(t, name), args...)
}

func detectFile(t *testing.T, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return DetectSignatures(f, st.Size())
}

func TestDetectSignaturesTools(t *testing.T) {
	tests := []struct {
		name  string
		size  int64
		setup func(t *testing.T, p string)
		want  []string
	}{
		{"blank", 8 << 20, func(*testing.T, string) {}, nil},
		{"sgdisk", 16 << 20, func(t *testing.T, p string) {
			run(t, "sgdisk", "-n", "1:0:+4M", "-t", "1:ef00", "-n", "2:0:0", "-t", "2:8300", p)
		}, []string{probe.GPT}},
		{"sgdisk backup only", 16 << 20, func(t *testing.T, p string) {
			run(t, "sgdisk", "-n", "1:0:0", p)
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 1024), 0); err != nil { // wipe MBR and primary header
				t.Fatal(err)
			}
		}, []string{SigGPTBackup}},
		{"mkfs.ext4", 8 << 20, func(t *testing.T, p string) { run(t, "mkfs.ext4", "-q", "-F", p) }, []string{probe.Ext4}},
		{"mkfs.vfat fat16", 16 << 20, func(t *testing.T, p string) { run(t, "mkfs.vfat", p) }, []string{probe.VFAT}},
		{"mkfs.vfat fat32", 40 << 20, func(t *testing.T, p string) { run(t, "mkfs.vfat", "-F", "32", p) }, []string{probe.VFAT}},
		{"mkfs.ntfs", 8 << 20, func(t *testing.T, p string) { run(t, "mkfs.ntfs", "-q", "-F", "-f", p) }, []string{probe.NTFS}},
		{"mkfs.xfs", 300 << 20, func(t *testing.T, p string) { run(t, "mkfs.xfs", "-q", p) }, []string{probe.XFS}},
		{"mkfs.btrfs", 128 << 20, func(t *testing.T, p string) { run(t, "mkfs.btrfs", "-q", p) }, []string{probe.Btrfs}},
		{"mkswap", 8 << 20, func(t *testing.T, p string) { run(t, "mkswap", p) }, []string{probe.SwapArea}},
		{"luks", 8 << 20, func(t *testing.T, p string) {
			key := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(key, []byte("k"), 0o600); err != nil {
				t.Fatal(err)
			}
			run(t, "cryptsetup", "luksFormat", "--type", "luks1", "--batch-mode", "--key-file", key,
				"--pbkdf-force-iterations", "1000", p)
		}, []string{probe.LUKS}},
		{"sfdisk mbr", 16 << 20, func(t *testing.T, p string) {
			cmd := exec.Command(testdisk.Tool(t, "sfdisk"), "-q", p)
			cmd.Stdin = strings.NewReader("label: dos\n,4M,83\n,,c\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sfdisk: %v\n%s", err, out)
			}
		}, []string{probe.DOS}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testdisk.TempSparse(t, "img", tc.size)
			tc.setup(t, p)
			if got := detectFile(t, p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDetectSignaturesISO(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(t.TempDir(), "x.iso")
	run(t, "xorriso", "-as", "mkisofs", "-quiet", "-o", iso, dir)
	if got := detectFile(t, iso); !reflect.DeepEqual(got, []string{probe.ISO9660}) {
		t.Errorf("got %v, want [iso9660]", got)
	}
}

func TestDetectSignaturesSynthetic(t *testing.T) {
	mk := func(size int, edit func(b []byte)) []byte { b := make([]byte, size); edit(b); return b }
	tests := []struct {
		name string
		img  []byte
		want []string
	}{
		{"tiny", []byte{1, 2, 3}, nil},
		{"protective mbr only", mk(1<<20, func(b []byte) {
			b[446+4] = 0xEE
			binary.LittleEndian.PutUint32(b[446+12:], 2047)
			b[510], b[511] = 0x55, 0xAA
		}), nil},
		{"mbr with bad boot flag", mk(1<<20, func(b []byte) {
			b[446], b[446+4] = 0x12, 0x83
			binary.LittleEndian.PutUint32(b[446+12:], 100)
			b[510], b[511] = 0x55, 0xAA
		}), nil},
		{"dos mbr", mk(1<<20, func(b []byte) {
			b[446], b[446+4] = 0x80, 0x83
			binary.LittleEndian.PutUint32(b[446+8:], 2048)
			binary.LittleEndian.PutUint32(b[446+12:], 100)
			b[510], b[511] = 0x55, 0xAA
		}), []string{probe.DOS}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectSignatures(bytes.NewReader(tc.img), int64(len(tc.img))); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
