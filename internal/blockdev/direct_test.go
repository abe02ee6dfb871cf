package blockdev

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestDirectReader reads a loop device past the page cache at offsets,
// lengths and buffer addresses aligned and not, up to and across its
// end, and compares with the image's bytes.
func TestDirectReader(t *testing.T) {
	const size = 1 << 20
	img := filepath.Join(t.TempDir(), "disk.img")
	want := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(want)
	if err := os.WriteFile(img, want, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := testdisk.AttachLoop(t, img, testdisk.LoopOptions{ReadOnly: true, NoPartScan: true})
	defer loop.Detach()
	d, err := OpenDirect(loop.Dev)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tests := []struct {
		name        string
		off         int64
		n, bufShift int
		wantN       int
		wantEOF     bool
	}{
		{"aligned", 8192, 64 << 10, 0, 64 << 10, false},
		{"aligned with a tail", 4096, 64<<10 + 100, 0, 64<<10 + 100, false},
		{"unaligned offset", 4097, 10000, 0, 10000, false},
		{"unaligned buffer", 4096, 64 << 10, 1, 64 << 10, false},
		{"small", 12345, 7, 0, 7, false},
		{"to the end", size - 8192, 8192, 0, 8192, false},
		{"across the end", size - 4096 - 10, 4200, 0, 4106, true},
		{"past the end", size + 4096, 100, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := alignedBuffer(tt.n + tt.bufShift)[tt.bufShift:]
			n, err := d.ReadAt(buf, tt.off)
			if n != tt.wantN || (err != nil) != tt.wantEOF || (err != nil && !errors.Is(err, io.EOF)) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d, EOF %v", tt.n, tt.off, n, err, tt.wantN, tt.wantEOF)
			}
			if n > 0 && !bytes.Equal(buf[:n], want[tt.off:tt.off+int64(n)]) {
				t.Errorf("ReadAt(%d bytes at %d) returned other bytes than the image's", tt.n, tt.off)
			}
		})
	}
}

// DropCache succeeds on a block device and does nothing on an image file.
func TestDropCache(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 1<<20)
	tests := []struct {
		name string
		path string
	}{
		{"image file", img},
		{"loop device", testdisk.AttachLoop(t, img, testdisk.LoopOptions{ReadOnly: true, NoPartScan: true}).Dev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(tt.path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.DropCache(); err != nil {
				t.Errorf("DropCache: %v", err)
			}
		})
	}
}

// TestDirectWriter writes a loop device past the page cache: an aligned
// head is written and its length returned, anything unaligned is left
// to the caller; a page written through the cache before and read
// through it after shows the direct write, not a stale copy.
func TestDirectWriter(t *testing.T) {
	const size = 1 << 20
	img := testdisk.TempSparse(t, "disk.img", size)
	loop := testdisk.AttachLoop(t, img, testdisk.LoopOptions{NoPartScan: true})
	defer loop.Detach()
	tests := []struct {
		name      string
		off       int64
		n, shift  int
		wantN     int
		cachedOld bool // the range was written through the cache first
	}{
		{"aligned", 8192, 64 << 10, 0, 64 << 10, false},
		{"aligned with a tail", 4096, 8192 + 100, 0, 8192, false},
		{"over cached pages", 16384, 8192, 0, 8192, true},
		{"unaligned offset", 4097, 8192, 0, 0, false},
		{"unaligned buffer", 4096, 8192, 1, 0, false},
		{"shorter than a block", 4096, 100, 0, 0, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cached, err := os.OpenFile(loop.Dev, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer cached.Close()
			if tt.cachedOld {
				if _, err := cached.WriteAt(bytes.Repeat([]byte{0xee}, tt.n), tt.off); err != nil {
					t.Fatal(err)
				}
			}
			before := make([]byte, tt.n)
			if _, err := cached.ReadAt(before, tt.off); err != nil {
				t.Fatal(err)
			}
			d, err := OpenDirectWriter(loop.Dev)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			p := AlignedBuffer(tt.n + tt.shift)[tt.shift:]
			rand.NewChaCha8([32]byte{byte(i + 1)}).Read(p)
			n, err := d.WriteHead(p, tt.off)
			if err != nil || n != tt.wantN {
				t.Fatalf("WriteHead = %d, %v; want %d", n, err, tt.wantN)
			}
			want := append(bytes.Clone(p[:n]), before[n:]...)
			got := make([]byte, tt.n)
			if _, err := cached.ReadAt(got, tt.off); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("read through the page cache: not the bytes written past it")
			}
			if err := cached.Sync(); err != nil {
				t.Fatal(err)
			}
			onDisk := make([]byte, tt.n)
			if f, err := os.Open(img); err != nil {
				t.Fatal(err)
			} else {
				f.ReadAt(onDisk, tt.off)
				f.Close()
			}
			if !bytes.Equal(onDisk, want) {
				t.Error("image file: not the bytes written")
			}
		})
	}
}
