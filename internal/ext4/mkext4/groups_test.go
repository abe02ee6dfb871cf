package mkext4

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/plinth-os/plinth/internal/ext4"
)

// TestSetBits compares setBits with setting bit by bit.
func TestSetBits(t *testing.T) {
	for _, tc := range []struct{ off, n uint64 }{
		{0, 0}, {0, 1}, {3, 1}, {7, 2}, {0, 8}, {0, 9}, {5, 3}, {5, 4}, {5, 100}, {8, 64}, {1, 32766}, {0, 32768}, {12345, 20000},
	} {
		t.Run(fmt.Sprintf("%d+%d", tc.off, tc.n), func(t *testing.T) {
			got, want := make([]byte, 4096), make([]byte, 4096)
			got[0], want[0] = 0x01, 0x01 // bits already set stay set
			setBits(got, tc.off, tc.n)
			for b := tc.off; b < tc.off+tc.n; b++ {
				want[b/8] |= 1 << (b % 8)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("setBits(%d, %d) differs from bit by bit", tc.off, tc.n)
			}
		})
	}
}

// TestBitmapChecksums checks every group's block and inode bitmap
// checksum, and the bitmaps kept for writing, against bitmaps built from
// scratch for each group: groups share checksums, and e2fsck does not
// look at those of uninitialized groups, so a wrong shared one would go
// unnoticed there.
func TestBitmapChecksums(t *testing.T) {
	for _, tc := range []struct {
		size int64
		bs   int
	}{{64 << 20, 1024}, {300 << 20, 2048}, {8 << 30, 4096}, {100<<30 + 12345678, 4096}} {
		t.Run(fmt.Sprintf("%d/%d", tc.size, tc.bs), func(t *testing.T) {
			im, err := plan(tc.size, &Options{UUID: testUUID, ModTime: testTime, BlockSize: tc.bs})
			if err != nil {
				t.Fatal(err)
			}
			g := im.g
			for n := range g.groups {
				bm := make([]byte, g.bs)
				start := g.groupStart(n)
				for _, r := range im.alloc.usedIn(start, start+g.groupBlocks(n)) {
					for b := r.start; b < r.end(); b++ {
						bm[(b-start)/8] |= 1 << ((b - start) % 8)
					}
				}
				for b := g.groupBlocks(n); b < g.bs*8; b++ {
					bm[b/8] |= 1 << (b % 8)
				}
				d := &im.gds[n]
				if want := ext4.CRC32C(im.seed, bm); d.blockBitmapCsum != want {
					t.Fatalf("group %d: block bitmap checksum %#x, want %#x", n, d.blockBitmapCsum, want)
				}
				kept, uninit := im.blockBitmaps[n], d.flags&bgBlockUninit != 0
				if uninit != (kept == nil) || (kept != nil && !bytes.Equal(kept, bm)) {
					t.Fatalf("group %d: uninit %v, kept bitmap %v", n, uninit, kept != nil && bytes.Equal(kept, bm))
				}
				if want := ext4.CRC32C(im.seed, im.inodeBitmap(n)[:g.ipg/8]); d.inodeBitmapCsum != want {
					t.Fatalf("group %d: inode bitmap checksum %#x, want %#x", n, d.inodeBitmapCsum, want)
				}
			}
		})
	}
}
