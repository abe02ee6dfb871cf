package ext4

import (
	"errors"
	"os"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

const testUUIDString = "0b1f4b4e-7d0a-4f2e-9c59-6f0d1e2a3b4c"

var testUUID = [16]byte{0x0b, 0x1f, 0x4b, 0x4e, 0x7d, 0x0a, 0x4f, 0x2e, 0x9c, 0x59, 0x6f, 0x0d, 0x1e, 0x2a, 0x3b, 0x4c}

// TestParseMke2fsSuperblock parses what mke2fs wrote: this checks the
// field offsets and the CRC-32C conventions against e2fsprogs, not
// against our own encoder.
func TestParseMke2fsSuperblock(t *testing.T) {
	img := testdisk.TempSparse(t, "ref.img", 64<<20)
	testdisk.Run(t, testdisk.Tool(t, "mke2fs"), "-q", "-t", "ext4", "-O", "^resize_inode", "-b", "4096",
		"-L", "ref", "-U", testUUIDString, "-F", img)
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sb, err := ReadSuperblock(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Label != "ref" || sb.UUID != testUUID || sb.BlockSize != 4096 || sb.BlocksCount != 16384 {
		t.Fatalf("parsed mke2fs superblock: %+v", sb)
	}
	if sb.JournalInode != 8 || sb.DescSize != 64 || sb.LogGroupsPerFlex != 4 || sb.InodeSize != 256 {
		t.Fatalf("parsed mke2fs superblock: %+v", sb)
	}
}

func TestSuperblockRoundTrip(t *testing.T) {
	in := Superblock{
		InodesCount: 1 << 20, BlocksCount: 1<<33 + 5, ReservedBlocks: 1<<32 + 7, FreeBlocks: 1<<32 + 9,
		FreeInodes: 12345, BlockSize: 4096, BlocksPerGroup: 32768, InodesPerGroup: 8192,
		WriteTime: 1<<33 + 1, MkfsTime: 1<<32 + 2, LastCheck: 3, MaxMountCount: -1, State: 1, Errors: 1,
		RevLevel: 1, FirstIno: 11, InodeSize: 256, BlockGroupNr: 3,
		FeatureCompat: 0x2c, FeatureIncompat: 0x2c2, FeatureROCompat: 0x46b,
		UUID: testUUID, Label: "sixteen-byte-lbl", JournalInode: 8, HashSeed: [16]byte{1, 2, 3},
		DefHashVersion: 1, JnlBackupType: 1, DescSize: 64, DefaultMountOpts: 0xc,
		JnlBlocks: [17]uint32{1, 2, 16: 17}, MinExtraIsize: 32, WantExtraIsize: 32, Flags: 2,
		LogGroupsPerFlex: 4, ChecksumType: 1,
	}
	b := in.Marshal()
	out, err := ParseSuperblock(b)
	if err != nil {
		t.Fatal(err)
	}
	if *out != in {
		t.Fatalf("round trip:\n got %+v\nwant %+v", *out, in)
	}
	b[0x100] ^= 1
	if _, err := ParseSuperblock(b); !errors.Is(err, ErrBadSuperblock) {
		t.Fatalf("corrupted superblock: %v, want ErrBadSuperblock", err)
	}
}

func TestParseSuperblockRejects(t *testing.T) {
	good := (&Superblock{BlockSize: 4096, BlocksPerGroup: 32768, InodesPerGroup: 8192, FeatureROCompat: ROCompatMetadataCsum}).Marshal()
	for name, mutate := range map[string]func([]byte) []byte{
		"short":          func(b []byte) []byte { return b[:100] },
		"magic":          func(b []byte) []byte { b[0x38] = 0; return b },
		"huge block":     func(b []byte) []byte { b[0x18] = 40; return b },
		"zero per group": func(b []byte) []byte { clear(b[0x20:0x24]); return b },
		"checksum":       func(b []byte) []byte { b[csumOffset] ^= 0xff; return b },
	} {
		b := mutate(append([]byte(nil), good...))
		if _, err := ParseSuperblock(b); !errors.Is(err, ErrBadSuperblock) {
			t.Errorf("%s: %v, want ErrBadSuperblock", name, err)
		}
	}
}

func FuzzParseSuperblock(f *testing.F) {
	f.Add((&Superblock{BlockSize: 4096, BlocksPerGroup: 32768, InodesPerGroup: 8192, FeatureROCompat: ROCompatMetadataCsum}).Marshal())
	f.Add((&Superblock{BlockSize: 1024, BlocksPerGroup: 8192, InodesPerGroup: 2048}).Marshal())
	f.Add(make([]byte, SuperblockSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		sb, err := ParseSuperblock(b)
		if err != nil {
			return
		}
		// Whatever parses must survive re-encoding and parse the same.
		sb.Features()
		again, err := ParseSuperblock(sb.Marshal())
		if err != nil {
			t.Fatalf("re-encoded superblock does not parse: %v", err)
		}
		if again.UUID != sb.UUID || again.BlocksCount != sb.BlocksCount || again.Label != sb.Label && len(sb.Label) <= 16 {
			t.Fatalf("re-encoding changed the superblock: %+v vs %+v", again, sb)
		}
	})
}
