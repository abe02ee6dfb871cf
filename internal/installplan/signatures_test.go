package installplan

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func blank(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
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
		}, []string{SigGPT}},
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
		{"mkfs.ext4", 8 << 20, func(t *testing.T, p string) { run(t, "mkfs.ext4", "-q", "-F", p) }, []string{SigExt4}},
		{"mkfs.vfat fat16", 16 << 20, func(t *testing.T, p string) { run(t, "mkfs.vfat", p) }, []string{SigVFAT}},
		{"mkfs.vfat fat32", 40 << 20, func(t *testing.T, p string) { run(t, "mkfs.vfat", "-F", "32", p) }, []string{SigVFAT}},
		{"mkswap", 8 << 20, func(t *testing.T, p string) { run(t, "mkswap", p) }, []string{SigSwap}},
		{"sfdisk mbr", 16 << 20, func(t *testing.T, p string) {
			testdisk.Tool(t, "sfdisk", "fdisk")
			cmd := exec.Command("sfdisk", "-q", p)
			cmd.Stdin = bytes.NewReader([]byte("label: dos\n,4M,83\n,,c\n"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sfdisk: %v\n%s", err, out)
			}
		}, []string{SigMBR}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := blank(t, tc.size)
			tc.setup(t, p)
			if got := detectFile(t, p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDetectSignaturesISO(t *testing.T) {
	tool := "xorriso"
	if _, err := exec.LookPath(tool); err != nil {
		t.Skip("xorriso not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(t.TempDir(), "x.iso")
	run(t, tool, "-as", "mkisofs", "-quiet", "-o", iso, dir)
	if got := detectFile(t, iso); !reflect.DeepEqual(got, []string{SigISO9660}) {
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
		{"4Kn gpt", mk(1<<20, func(b []byte) { copy(b[4096:], "EFI PART") }), []string{SigGPT}},
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
		}), []string{SigMBR}},
		{"luks", mk(1<<20, func(b []byte) { copy(b, "LUKS\xba\xbe") }), []string{SigLUKS}},
		{"lvm", mk(1<<20, func(b []byte) { copy(b[512:], "LABELONE"); copy(b[512+24:], "LVM2 001") }), []string{SigLVM}},
		{"xfs", mk(1<<20, func(b []byte) { copy(b, "XFSB") }), []string{SigXFS}},
		{"btrfs", mk(1<<20, func(b []byte) { copy(b[0x10040:], "_BHRfS_M") }), []string{SigBtrfs}},
		{"ntfs", mk(1<<20, func(b []byte) { copy(b[3:], "NTFS    "); b[510], b[511] = 0x55, 0xAA }), []string{SigNTFS}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectSignatures(bytes.NewReader(tc.img), int64(len(tc.img))); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// cyclic is an endless disk repeating data, so that small fuzz inputs
// reach every offset DetectSignatures looks at.
type cyclic []byte

func (c cyclic) ReadAt(p []byte, off int64) (int, error) {
	if len(c) == 0 {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = c[(off+int64(i))%int64(len(c))]
	}
	return len(p), nil
}

func FuzzDetectSignatures(f *testing.F) {
	b := make([]byte, 1024)
	copy(b[512:], "EFI PART")
	b[510], b[511] = 0x55, 0xAA
	f.Add(b, int64(1<<20))
	f.Add([]byte{0xEB, 0x3C, 0x90}, int64(1<<40))
	f.Add([]byte("CD001"), int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, size int64) {
		// size may lie about the reader: DetectSignatures must cope.
		_ = DetectSignatures(bytes.NewReader(data), size)
		_ = DetectSignatures(bytes.NewReader(data), int64(len(data)))
		_ = DetectSignatures(cyclic(data), size)
	})
}
