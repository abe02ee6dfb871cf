package mkext4

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/plinth-os/plinth/internal/ext4"
)

// wantFeatures is the feature list dumpe2fs must show, in its order.
const wantFeatures = "has_journal ext_attr dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum"

func TestFormatSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int64
		bs   int
		// maxAllocated bounds the disk space the sparse image takes: the
		// metadata written, far below the size (the journal is a hole).
		maxAllocated int64
	}{
		{"64MiB", 64 << 20, 0, 8 << 20},
		{"64MiB-1k", 64 << 20, 1024, 8 << 20},
		{"1GiB", 1 << 30, 0, 8 << 20},
		{"1GiB-odd", 1<<30 + 12345678, 2048, 8 << 20},
		{"8GiB", 8 << 30, 0, 8 << 20},
		{"100GiB", 100 << 30, 0, 16 << 20},
		{"1TiB", 1 << 40, 0, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := sparseImage(t, tc.size)
			label := "data-" + tc.name
			formatFile(t, img, Options{UUID: testUUID, Label: label, ModTime: testTime, BlockSize: tc.bs})
			e2fsckClean(t, img)

			h := dumpe2fsHeader(t, img)
			bs := tc.bs
			if bs == 0 {
				bs = 4096
			}
			for k, want := range map[string]string{
				"Filesystem features":    wantFeatures,
				"Filesystem volume name": label,
				"Filesystem UUID":        testUUIDString,
				"Block size":             fmt.Sprint(bs),
				"Inode size":             "256",
				"Flex block group size":  "16",
				"Checksum type":          "crc32c",
				"Journal inode":          "8",
				"Filesystem state":       "clean",
			} {
				if h[k] != want {
					t.Errorf("dumpe2fs %q = %q, want %q", k, h[k], want)
				}
			}
			var blocks int64
			fmt.Sscan(h["Block count"], &blocks)
			if blocks > tc.size/int64(bs) || blocks < tc.size/int64(bs)-int64(bs)*8 {
				t.Errorf("block count %d for %d bytes of %d-byte blocks", blocks, tc.size, bs)
			}

			sb := readSuperblock(t, img)
			if sb.Label != label || sb.UUID != testUUID || sb.BlocksCount != uint64(blocks) {
				t.Errorf("ParseSuperblock: label %q uuid %x blocks %d", sb.Label, sb.UUID, sb.BlocksCount)
			}
			if got := strings.Join(sb.Features(), " "); got != wantFeatures {
				t.Errorf("Features() = %q, want %q", got, wantFeatures)
			}

			var st syscall.Stat_t
			if err := syscall.Stat(img, &st); err != nil {
				t.Fatal(err)
			}
			if alloc := st.Blocks * 512; alloc > tc.maxAllocated {
				t.Errorf("image occupies %d bytes on disk, want at most %d", alloc, tc.maxAllocated)
			}
		})
	}
}

// readSuperblock parses the primary superblock of the image at p.
func readSuperblock(t testing.TB, p string) *ext4.Superblock {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sb, err := ext4.ReadSuperblock(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// TestFormatOverGarbage formats over random bytes: Format must not rely
// on the target being zeroed (lazy init leaves most of it untouched).
func TestFormatOverGarbage(t *testing.T) {
	img := garbageImage(t, 64<<20)
	src := t.TempDir()
	sourceTree(t, src)
	formatFile(t, img, Options{UUID: testUUID, ModTime: testTime, Source: os.DirFS(src)})
	e2fsckClean(t, img)
}

// garbageImage returns a file of size pseudo-random bytes.
func garbageImage(t testing.TB, size int64) string {
	t.Helper()
	p := sparseImage(t, 0)
	fillGarbage(t, p, 0, size)
	return p
}

// fillGarbage writes n pseudo-random bytes at off of the file at p.
func fillGarbage(t testing.TB, p string, off, n int64) {
	t.Helper()
	b := make([]byte, n)
	x := uint64(0x9E3779B97F4A7C15) ^ uint64(off)
	for i := 0; i+8 <= len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		for j := range 8 {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestFormatEdgeSizes covers the smallest filesystems and sizes that end
// just past a group boundary (mke2fs then drops the short last group).
func TestFormatEdgeSizes(t *testing.T) {
	for _, tc := range []struct {
		bs   int
		size int64
	}{
		{1024, 2048 << 10}, {2048, 2048 << 11}, {4096, 2048 << 12},
		{4096, 32768*4096 + 100*4096},          // short last group, dropped
		{4096, 3*32768*4096 + 5000*4096 + 123}, // short last group, kept
		{1024, 17*8192*1024 + 1024},            // one group past a flex group
	} {
		t.Run(fmt.Sprint(tc.bs, "-", tc.size), func(t *testing.T) {
			img := sparseImage(t, tc.size)
			formatFile(t, img, Options{UUID: testUUID, ModTime: testTime, BlockSize: tc.bs})
			e2fsckClean(t, img)
		})
	}
}
