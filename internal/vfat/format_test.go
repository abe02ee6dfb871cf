package vfat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/internal/blockdev"
)

// TestFormatFsck formats sparse files of many sizes with every FAT type,
// checks the valid ones with fsck.fat, and for some fills them with
// testTree and reads it back with mtools and with Open.
func TestFormatFsck(t *testing.T) {
	tests := []struct {
		size     int64
		fatType  int  // requested
		want     int  // resulting type, 0 if the size is invalid for fatType
		fill     bool // copy testTree in
		sectorSz int
	}{
		{size: 33 * mib, fatType: 0, want: 16, fill: true},
		{size: 33 * mib, fatType: 12, want: 12},
		{size: 33 * mib, fatType: 16, want: 16},
		{size: 33 * mib, fatType: 32, want: 32, fill: true},
		{size: 64_000_000, fatType: 0, want: 16},
		{size: 64_000_000, fatType: 12, want: 12, fill: true},
		{size: 64_000_000, fatType: 16, want: 16, fill: true},
		{size: 64_000_000, fatType: 32, want: 32, fill: true},
		{size: 64_000_000, fatType: 16, want: 16, fill: true, sectorSz: 2048},
		{size: 129_000_000, fatType: 0, want: 16},
		{size: 129_000_000, fatType: 12, want: 12, fill: true},
		{size: 129_000_000, fatType: 16, want: 16},
		{size: 129_000_000, fatType: 32, want: 32, fill: true},
		{size: 256 * mib, fatType: 0, want: 16, fill: true},
		{size: 256 * mib, fatType: 12, want: 0},
		{size: 256 * mib, fatType: 16, want: 16},
		{size: 256 * mib, fatType: 32, want: 32},
		{size: 1 * gib, fatType: 0, want: 32},
		{size: 1 * gib, fatType: 12, want: 0},
		{size: 1 * gib, fatType: 16, want: 16, fill: true},
		{size: 1 * gib, fatType: 32, want: 32, fill: true},
		{size: 1 * gib, fatType: 32, want: 32, fill: true, sectorSz: 4096},
		{size: 32 * gib, fatType: 0, want: 32},
		{size: 32 * gib, fatType: 16, want: 0},
		{size: 32 * gib, fatType: 32, want: 32, fill: true},
		{size: 2 * tib, fatType: 12, want: 0},
		{size: 2 * tib, fatType: 32, want: 32, fill: true},
	}
	// 2 TiB with FAT type 0 is left out: it is the FAT32 layout
	// (TestLayoutLimits) and fsck.fat takes 20 s on each 2 TiB image.
	tree := testTree()
	for _, tt := range tests {
		name := fmt.Sprintf("%d/FAT%d/ss%d/fill=%v", tt.size, tt.fatType, tt.sectorSz, tt.fill)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := sparseFile(t, tt.size)
			opts := Options{FATType: tt.fatType, Label: "Plinth", SectorSize: tt.sectorSz}
			if tt.fill {
				opts.Source = tree
			}
			err := Format(f, 0, tt.size, opts)
			if tt.want == 0 {
				if err == nil {
					t.Fatal("Format succeeded, want an error")
				}
				if n := allocatedBytes(t, f); n != 0 {
					t.Fatalf("failed Format wrote %d bytes", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := allocatedBytes(t, f); n > 64*mib {
				t.Errorf("Format allocated %d MiB of the sparse file", n/mib)
			}
			fsck(t, f.Name())
			fsys, err := Open(f, 0, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if got := fsys.BootSector().FATType; got != tt.want {
				t.Errorf("FAT type %d, want %d", got, tt.want)
			}
			if label, err := fsys.Label(); err != nil || label != "PLINTH" {
				t.Errorf("Label() = %q, %v; want PLINTH", label, err)
			}
			if tt.fill {
				checkTree(t, fsys, tree)
				checkMtools(t, f.Name(), tree)
			}
		})
	}
}

// checkTree compares the files and directories of fsys with want.
func checkTree(t *testing.T, fsys *FS, want fs.FS) {
	t.Helper()
	err := fs.WalkDir(want, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := fsys.Stat(p)
		if err != nil {
			return err
		}
		if info.IsDir() != d.IsDir() {
			return fmt.Errorf("%s: IsDir %v, want %v", p, info.IsDir(), d.IsDir())
		}
		if d.IsDir() {
			wantEnts, _ := fs.ReadDir(want, p)
			gotEnts, err := fsys.ReadDir(p)
			if err != nil {
				return err
			}
			if len(gotEnts) != len(wantEnts) {
				return fmt.Errorf("%s: %d entries, want %d", p, len(gotEnts), len(wantEnts))
			}
			for i := range gotEnts {
				if gotEnts[i].Name() != wantEnts[i].Name() {
					return fmt.Errorf("%s: entry %d is %q, want %q", p, i, gotEnts[i].Name(), wantEnts[i].Name())
				}
			}
			return nil
		}
		got, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		wantData, _ := fs.ReadFile(want, p)
		if !bytes.Equal(got, wantData) {
			return fmt.Errorf("%s: content differs (%d bytes, want %d)", p, len(got), len(wantData))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkMtools reads the label and some files of testTree back with mtools.
func checkMtools(t *testing.T, img string, tree fstest.MapFS) {
	t.Helper()
	dir := string(runTool(t, "mdir", "-i", img, "::"))
	if !strings.Contains(dir, "Volume in drive : is PLINTH") {
		t.Errorf("mdir does not show the label:\n%s", dir)
	}
	for _, want := range []string{"plinth.json", "A Long File Name With Spaces.txt", "MixedCase.Dat", "EFI", "empty"} {
		if !strings.Contains(dir, want) {
			t.Errorf("mdir does not list %q:\n%s", want, dir)
		}
	}
	many := string(runTool(t, "mdir", "-b", "-i", img, "::/many"))
	if n := strings.Count(many, "\n"); n != 200 {
		t.Errorf("mdir -b ::/many lists %d names, want 200:\n%s", n, many)
	}
	for _, p := range []string{
		"EFI/BOOT/BOOTX64.EFI", "plinth.json", "A Long File Name With Spaces.txt",
		"MixedCase.Dat", "empty", "many/file199.txt", "a/b/c/d/e/deep.txt", "loader/entries/plinth.conf",
	} {
		got := runTool(t, "mcopy", "-n", "-i", img, "::/"+p, "-")
		if !bytes.Equal(got, tree[p].Data) {
			t.Errorf("mcopy ::/%s: %d bytes differ from the %d written", p, len(got), len(tree[p].Data))
		}
	}
}

// TestFormatRoundTrip checks the reader against the writer with
// fstest.TestFS, which exercises every fs.FS method.
func TestFormatRoundTrip(t *testing.T) {
	tree := testTree()
	for _, fatType := range []int{12, 16, 32} {
		t.Run(fmt.Sprintf("FAT%d", fatType), func(t *testing.T) {
			size := 40 * mib
			img := blockdev.NewMem(size, 0)
			if err := Format(img, 0, size, Options{FATType: fatType, Source: tree}); err != nil {
				t.Fatal(err)
			}
			fsys, err := Open(img, 0, size)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for p := range tree {
				files = append(files, p)
			}
			if err := fstest.TestFS(fsys, files...); err != nil {
				t.Fatal(err)
			}
			checkTree(t, fsys, tree)
		})
	}
}

// TestFormatTooSmall checks that sizes that cannot work are refused with
// ErrTooSmall before anything is written.
func TestFormatTooSmall(t *testing.T) {
	tests := []struct {
		name string
		size int64
		opts Options
	}{
		{"FAT32 in 32 MiB", 32 * mib, Options{FATType: 32}},
		{"FAT32 in 32.5 MiB", 32*mib + 512*kib, Options{FATType: 32, SectorsPerCluster: 1}},
		{"FAT16 in 1 MiB", 1 * mib, Options{FATType: 16, SectorsPerCluster: 4}},
		{"nothing fits in 8 KiB", 8 * kib, Options{}},
		{"source too big", 4 * mib, Options{Source: fstest.MapFS{"big": {Data: make([]byte, 5*mib)}}}},
		{"root full on FAT16", 64 * mib, Options{FATType: 16, Source: manyFiles(600)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sparseFile(t, tt.size)
			err := Format(f, 0, tt.size, tt.opts)
			if !errors.Is(err, ErrTooSmall) {
				t.Fatalf("Format = %v, want ErrTooSmall", err)
			}
			if n := allocatedBytes(t, f); n != 0 {
				t.Fatalf("failed Format wrote %d bytes", n)
			}
			b, err := io.ReadAll(f)
			if err != nil || int64(len(b)) != tt.size || !bytes.Equal(b, make([]byte, tt.size)) {
				t.Fatalf("file not left at %d zero bytes (%d bytes, %v)", tt.size, len(b), err)
			}
		})
	}
}

// manyFiles returns a tree with n empty files in its root.
func manyFiles(n int) fstest.MapFS {
	m := fstest.MapFS{}
	for i := range n {
		m[fmt.Sprintf("f%04d", i)] = &fstest.MapFile{}
	}
	return m
}

// TestFormatInvalid checks that bad options are refused, writing nothing.
func TestFormatInvalid(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"label too long", Options{Label: "TWELVE CHARS"}, "longer than 11"},
		{"label char", Options{Label: "A/B"}, "cannot hold"},
		{"label leading space", Options{Label: " A"}, "starts with a space"},
		{"FAT type", Options{FATType: 24}, "FAT type 24"},
		{"sector size", Options{SectorSize: 520}, "sector size 520"},
		{"cluster not power of two", Options{SectorsPerCluster: 3}, "3 sectors per cluster"},
		{"cluster too big", Options{SectorsPerCluster: 256}, "256 sectors per cluster"},
		{"cluster over 64 KiB", Options{SectorsPerCluster: 32, SectorSize: 4096}, "32 sectors per cluster"},
		{"FAT12 too large", Options{FATType: 12}, "too large for FAT12"},
		{"name with colon", Options{Source: fstest.MapFS{"a:b": {}}}, "cannot hold"},
		{"name with trailing dot", Options{Source: fstest.MapFS{"a.": {}}}, "ends in a dot"},
		{"names differing in case", Options{Source: fstest.MapFS{"x/A.txt": {}, "x/a.TXT": {}}}, "differ only in case"},
		{"device", Options{Source: fstest.MapFS{"d": {Mode: fs.ModeDevice}}}, "neither a directory nor a regular file"},
		{"long name", Options{Source: fstest.MapFS{strings.Repeat("n", 256): {}}}, "UTF-16 units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := 512 * mib
			f := sparseFile(t, size)
			err := Format(f, 0, size, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "vfat: ") {
				t.Fatalf("Format = %v, want a vfat: error containing %q", err, tt.want)
			}
			if n := allocatedBytes(t, f); n != 0 {
				t.Fatalf("failed Format wrote %d bytes", n)
			}
		})
	}
	if err := Format(blockdev.NewMem(mib, 0), -1, mib, Options{}); err == nil {
		t.Error("Format at a negative offset succeeded")
	}
}

// TestFormatReproducible checks that equal inputs give equal bytes and
// that the derived volume ID follows the content.
func TestFormatReproducible(t *testing.T) {
	size := 40 * mib
	format := func(opts Options) *blockdev.Mem {
		t.Helper()
		img := blockdev.NewMem(size, 0)
		if err := Format(img, 0, size, opts); err != nil {
			t.Fatal(err)
		}
		return img
	}
	volID := func(img *blockdev.Mem) uint32 {
		t.Helper()
		bs, err := ParseBootSector(img.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return bs.VolumeID
	}
	opts := Options{FATType: 32, Label: "PLINTH", Source: testTree()}
	a, b := format(opts), format(opts)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two Formats with the same options differ")
	}
	changed := testTree()
	changed["plinth.json"] = &fstest.MapFile{Data: []byte(`{"version":"2"}` + "\n")}
	opts.Source = changed
	if volID(format(opts)) == volID(a) {
		t.Error("volume ID did not change with the content")
	}
	opts.VolumeID = 0x1234ABCD
	if got := volID(format(opts)); got != 0x1234ABCD {
		t.Errorf("volume ID %#x, want the requested 0x1234abcd", got)
	}
}

// TestFormatOffset checks that a filesystem written at an offset, as in a
// partition, equals one written at 0 and is readable there.
func TestFormatOffset(t *testing.T) {
	const off = 1 * mib
	size := 40 * mib
	opts := Options{Label: "ESP", Source: testTree(), HiddenSectors: uint32(off / 512), FATType: 32}
	f := sparseFile(t, off+size)
	if err := Format(f, off, size, opts); err != nil {
		t.Fatal(err)
	}
	ref := blockdev.NewMem(size, 0)
	if err := Format(ref, 0, size, opts); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, size)
	if _, err := f.ReadAt(got, off); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ref.Bytes()) {
		t.Fatal("filesystem at an offset differs from the one at 0")
	}
	fsys, err := Open(f, off, size)
	if err != nil {
		t.Fatal(err)
	}
	if h := fsys.BootSector().HiddenSectors; h != uint32(off/512) {
		t.Errorf("hidden sectors %d, want %d", h, off/512)
	}
	checkTree(t, fsys, opts.Source)
	img := fmt.Sprintf("%s@@%d", f.Name(), off)
	if got := runTool(t, "mcopy", "-n", "-i", img, "::/plinth.json", "-"); !bytes.Equal(got, testTree()["plinth.json"].Data) {
		t.Errorf("mcopy at offset read %q", got)
	}
}

// TestFormatBootSector checks the BPB fields the brief asks for and the
// FAT32 extras: backup boot sector, FSInfo counts, ".." of root children.
func TestFormatBootSector(t *testing.T) {
	size := 64 * mib
	img := blockdev.NewMem(size, 0)
	mt := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := Format(img, 0, size, Options{FATType: 32, Label: "plinth", Source: testTree(), ModTime: mt}); err != nil {
		t.Fatal(err)
	}
	raw := img.Bytes()
	bs, err := ParseBootSector(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := BootSector{OEMName: oemName, BytesPerSector: 512, SectorsPerCluster: 1, ReservedSectors: 32, NumFATs: 2,
		Media: 0xF8, RootCluster: 2, FSInfoSector: 1, BackupBootSector: 6, Label: "PLINTH", FSType: "FAT32", FATType: 32}
	got := *bs
	got.TotalSectors, got.FATSectors, got.SectorsPerTrack, got.Heads, got.VolumeID = 0, 0, 0, 0, 0
	got.Clusters, got.DataSector = 0, 0
	if got != want {
		t.Errorf("boot sector\n got %+v\nwant %+v", got, want)
	}
	if bs.SectorsPerTrack == 0 || bs.Heads == 0 {
		t.Errorf("geometry %d/%d, want non-zero", bs.Heads, bs.SectorsPerTrack)
	}
	if !bytes.Equal(raw[:512], raw[6*512:7*512]) || !bytes.Equal(raw[512:1024], raw[7*512:8*512]) {
		t.Error("backup boot sector or FSInfo differs from the primary")
	}
	fsys, err := Open(img, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	used := uint32(0)
	for c := uint32(2); c < bs.Clusters+2; c++ {
		v, err := fsys.fatEntry(c)
		if err != nil {
			t.Fatal(err)
		}
		if v != 0 {
			used++
		}
	}
	le := func(o int) uint32 {
		return uint32(raw[o]) | uint32(raw[o+1])<<8 | uint32(raw[o+2])<<16 | uint32(raw[o+3])<<24
	}
	if free, next := le(512+488), le(512+492); free != bs.Clusters-used || next != used+2 {
		t.Errorf("FSInfo free %d next %d, want %d and %d", free, next, bs.Clusters-used, used+2)
	}
	d, err := fsys.readDir(fsys.rootEntry())
	if err != nil {
		t.Fatal(err)
	}
	efi := find(d.entries, "EFI")
	if efi == nil || efi.attr != attrDirectory || efi.ShortName() != "EFI" || !efi.ModTime().Equal(mt) {
		t.Fatalf("EFI entry %+v", efi)
	}
	sub, err := fsys.readDir(efi)
	if err != nil {
		t.Fatal(err)
	}
	if sub.dot == nil || sub.dot.cluster != efi.cluster || sub.dotdot == nil || sub.dotdot.cluster != 0 {
		t.Errorf("EFI's . is %+v and .. is %+v, want clusters %d and 0", sub.dot, sub.dotdot, efi.cluster)
	}
	boot := find(sub.entries, "BOOT")
	bootDir, err := fsys.readDir(boot)
	if err != nil {
		t.Fatal(err)
	}
	if bootDir.dotdot.cluster != efi.cluster {
		t.Errorf("EFI/BOOT's .. is cluster %d, want %d", bootDir.dotdot.cluster, efi.cluster)
	}
	for _, e := range bootDir.entries {
		if e.Name() == "BOOTX64.EFI" && e.short != "BOOTX64.EFI" {
			t.Errorf("BOOTX64.EFI has short name %q", e.short)
		}
	}
	if empty := find(d.entries, "empty"); empty == nil || empty.cluster != 0 || empty.size != 0 {
		t.Errorf("empty file entry %+v, want cluster 0 and size 0", empty)
	}
}

// TestFormatThresholds formats the sizes on either side of the cluster
// counts that decide the FAT type and checks them with fsck.fat.
func TestFormatThresholds(t *testing.T) {
	tests := []struct {
		fatType  int
		clusters uint32 // the boundary count
		smallest bool   // look for the smallest size with at least clusters, else the largest with at most
	}{
		{12, maxClusters12, false},
		{16, maxClusters12 + 1, true},
		{16, maxClusters16, false},
		{32, minClusters32, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("FAT%d-%d", tt.fatType, tt.clusters), func(t *testing.T) {
			t.Parallel()
			var found layout
			var size int64
			for sectors := tt.clusters; sectors < tt.clusters+4000; sectors++ {
				l, res := tryLayout(tt.fatType, 1, 512, sectors)
				if tt.smallest && res == fits {
					found, size = l, int64(sectors)*512
					break
				}
				if !tt.smallest && res == fits {
					found, size = l, int64(sectors)*512
				}
			}
			if found.clusters == 0 || found.clusters > tt.clusters+2 && tt.smallest || found.clusters < tt.clusters-2 && !tt.smallest {
				t.Fatalf("no layout near %d clusters (found %d)", tt.clusters, found.clusters)
			}
			f := sparseFile(t, size)
			src := fstest.MapFS{"dir/file.txt": {Data: []byte("hello")}, "LONG file name": {Data: seededBytes(100_000, 3)}}
			if err := Format(f, 0, size, Options{FATType: tt.fatType, SectorsPerCluster: 1, Source: src}); err != nil {
				t.Fatal(err)
			}
			fsck(t, f.Name())
			fsys, err := Open(f, 0, size)
			if err != nil {
				t.Fatal(err)
			}
			if bs := fsys.BootSector(); bs.FATType != tt.fatType || bs.Clusters != found.clusters {
				t.Errorf("read FAT%d with %d clusters, want FAT%d with %d", bs.FATType, bs.Clusters, tt.fatType, found.clusters)
			}
			// One sector less (or more) crosses the boundary.
			delta := int64(-512)
			if !tt.smallest {
				delta = 512
			}
			if err := Format(blockdev.NewMem(size+delta, 0), 0, size+delta, Options{FATType: tt.fatType, SectorsPerCluster: 1}); err == nil {
				t.Errorf("size %d beyond the boundary formatted as FAT%d", size+delta, tt.fatType)
			}
		})
	}
}

// TestMinSize checks that MinSize's result holds the tree.
func TestMinSize(t *testing.T) {
	tests := []struct {
		name string
		src  fs.FS
		opts Options
	}{
		{"tree", testTree(), Options{}},
		{"tree FAT32", testTree(), Options{FATType: 32}},
		{"tree FAT12", testTree(), Options{FATType: 12}},
		{"empty", fstest.MapFS{}, Options{}},
		{"600 root files", manyFiles(600), Options{}},
		{"big file", fstest.MapFS{"big": {Data: make([]byte, 50*mib)}}, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, err := MinSize(tt.src, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if size%mib != 0 {
				t.Errorf("MinSize = %d, not a multiple of 1 MiB", size)
			}
			f := sparseFile(t, size)
			tt.opts.Source = tt.src
			if err := Format(f, 0, size, tt.opts); err != nil {
				t.Fatalf("Format at MinSize %d: %v", size, err)
			}
			fsck(t, f.Name())
			t.Logf("MinSize = %d MiB", size/mib)
		})
	}
	if _, err := MinSize(fstest.MapFS{"a:b": {}}, Options{}); err == nil {
		t.Error("MinSize accepted an invalid name")
	}
	if _, err := MinSize(manyFiles(600), Options{FATType: 16}); !errors.Is(err, ErrTooSmall) {
		t.Errorf("MinSize of 600 root files on FAT16 = %v, want ErrTooSmall", err)
	}
}

// TestFormatSparseWrites checks that formatting a huge sparse file writes
// little and is quick, and that stale data in the FAT area is cleared.
func TestFormatSparseWrites(t *testing.T) {
	size := 2 * tib
	f := sparseFile(t, size)
	start := time.Now()
	if err := Format(f, 0, size, Options{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("formatting 2 TiB took %v", d)
	}
	if n := allocatedBytes(t, f); n > 4*mib {
		t.Errorf("formatting 2 TiB allocated %d bytes", n)
	}

	// Old data in the FAT area must not survive as phantom clusters.
	g := sparseFile(t, 64*mib)
	if _, err := g.WriteAt(bytes.Repeat([]byte{0xAB}, int(mib)), 100*kib); err != nil {
		t.Fatal(err)
	}
	if err := Format(g, 0, 64*mib, Options{FATType: 32}); err != nil {
		t.Fatal(err)
	}
	fsck(t, g.Name())
}

// TestDirectoryNames checks short-name generation end to end.
func TestDirectoryNames(t *testing.T) {
	src := fstest.MapFS{
		"BOOTX64.EFI":          {},
		"plinth.json":          {},
		"plinth.jsonx":         {},
		"loader.conf":          {},
		"efi":                  {},
		"PLINTH~1.JSO":         {},
		"Makefile":             {},
		".hidden":              {},
		"with space.txt":       {},
		"a+b.c":                {},
		"longfilename-one.txt": {},
		"longfilename-two.txt": {},
	}
	size := 8 * mib
	img := blockdev.NewMem(size, 0)
	if err := Format(img, 0, size, Options{Source: src}); err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(img, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	d, err := fsys.readDir(fsys.rootEntry())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range d.entries {
		got[e.Name()] = e.ShortName()
	}
	want := map[string]string{
		"BOOTX64.EFI":          "BOOTX64.EFI",
		"PLINTH~1.JSO":         "PLINTH~1.JSO",
		"plinth.json":          "PLINTH~2.JSO",
		"plinth.jsonx":         "PLINTH~3.JSO",
		"loader.conf":          "LOADER~1.CON",
		"efi":                  "EFI",
		"Makefile":             "MAKEFILE",
		".hidden":              "HIDDEN~1",
		"with space.txt":       "WITHSP~1.TXT",
		"a+b.c":                "A_B~1.C",
		"longfilename-one.txt": "LONGFI~1.TXT",
		"longfilename-two.txt": "LONGFI~2.TXT",
	}
	for name, short := range want {
		if got[name] != short {
			t.Errorf("%q has short name %q, want %q", name, got[name], short)
		}
	}
	if len(got) != len(want) {
		t.Errorf("read %d names, want %d: %v", len(got), len(want), got)
	}
}

// changingFS serves other contents for one file than its directory
// listing promised, as a file being rewritten during Format would.
type changingFS struct {
	fstest.MapFS
	name string
	data []byte
}

func (c changingFS) Open(name string) (fs.File, error) {
	if name == c.name {
		return fstest.MapFS{name: {Data: c.data}}.Open(name)
	}
	return c.MapFS.Open(name)
}

// TestFormatSourceChanged checks that a file changing size while it is
// copied is an error rather than an image disagreeing with itself.
func TestFormatSourceChanged(t *testing.T) {
	listed := fstest.MapFS{"f": {Data: make([]byte, 10)}, "g": {Data: []byte("g")}}
	for _, tt := range []struct {
		data []byte
		want string
	}{
		{make([]byte, 5), "shrank"},
		{make([]byte, 20), "grew"},
	} {
		err := Format(blockdev.NewMem(4*mib, 0), 0, 4*mib, Options{Source: changingFS{listed, "f", tt.data}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Format = %v, want an error saying the file %s", err, tt.want)
		}
	}
}

// copyTree writes tree into a new directory and returns it.
func copyTree(t *testing.T, tree fstest.MapFS) string {
	t.Helper()
	dir := t.TempDir()
	for name, f := range tree {
		p := filepath.Join(dir, filepath.FromSlash(name))
		var err error
		if f.Mode.IsDir() {
			err = os.MkdirAll(p, 0o755)
		} else if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			err = os.WriteFile(p, f.Data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFormatSourceKinds checks that a file read through Format's buffer
// (fstest.MapFS, os.DirFS, whose *os.File copies through io.Copy) and
// one that writes itself (io.WriterTo) give the same bytes, derived
// volume ID included, for content small and large.
func TestFormatSourceKinds(t *testing.T) {
	size := 64 * mib
	tree := testTree()
	tree["big/uki.efi"] = &fstest.MapFile{Data: seededBytes(9<<20+123, 4), Mode: 0o644}
	tree["big/BOOTX64.EFI"] = tree["big/uki.efi"]
	sources := []struct {
		name string
		src  fs.FS
	}{
		{"MapFS", tree},
		{"WriterTo", MemFS{tree}},
		{"DirFS", os.DirFS(copyTree(t, tree))},
	}
	var want []byte
	for _, s := range sources {
		img := blockdev.NewMem(size, 0)
		w := &largestWrite{WriterAt: img}
		if err := Format(w, 0, size, Options{FATType: 32, Label: "KINDS", Source: s.src}); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		// A file that writes itself reaches WriteAt whole; others go
		// through the buffer.
		if direct := w.max == len(tree["big/uki.efi"].Data); direct != (s.name == "WriterTo") || w.max > len(tree["big/uki.efi"].Data) {
			t.Errorf("%s: largest write %d bytes", s.name, w.max)
		}
		if want == nil {
			want = img.Bytes()
			continue
		}
		if !bytes.Equal(img.Bytes(), want) {
			t.Errorf("%s: image differs from the one made from %s", s.name, sources[0].name)
		}
	}
	f := sparseFile(t, size)
	if _, err := f.WriteAt(want, 0); err != nil {
		t.Fatal(err)
	}
	fsck(t, f.Name())
}

// TestFormatWriterToChanged is TestFormatSourceChanged for files that
// write themselves.
func TestFormatWriterToChanged(t *testing.T) {
	listed := fstest.MapFS{"f": {Data: make([]byte, 1<<20)}, "g": {Data: []byte("g")}}
	for _, tt := range []struct {
		size int
		want string
	}{
		{1<<20 - 1, "shrank"},
		{1<<20 + 1, "grew"},
		{10, "shrank"},
		{3 << 20, "grew"},
	} {
		changed := fstest.MapFS{"f": {Data: make([]byte, tt.size)}, "g": listed["g"]}
		src := changingWriterToFS{listed, MemFS{changed}}
		err := Format(blockdev.NewMem(8*mib, 0), 0, 8*mib, Options{Source: src})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d bytes for 1 MiB listed: Format = %v, want an error saying the file %s", tt.size, err, tt.want)
		}
	}
}

// changingWriterToFS lists one tree and opens the files of another.
type changingWriterToFS struct {
	fstest.MapFS
	open MemFS
}

func (c changingWriterToFS) Open(name string) (fs.File, error) {
	if _, ok := c.MapFS[name]; ok {
		return c.open.Open(name)
	}
	return c.MapFS.Open(name)
}

// largestWrite records the size of the largest WriteAt.
type largestWrite struct {
	io.WriterAt
	max int
}

func (l *largestWrite) WriteAt(p []byte, off int64) (int, error) {
	l.max = max(l.max, len(p))
	return l.WriterAt.WriteAt(p, off)
}
