package vfat

import (
	"bytes"
	"path"
	"testing"
	"testing/fstest"

	"github.com/plinth-os/plinth/internal/blockdev"
)

// smallImage returns a small formatted image for seeding the fuzzers.
func smallImage(tb testing.TB, size int64, opts Options) []byte {
	tb.Helper()
	if opts.Source == nil {
		opts.Source = fstest.MapFS{
			"EFI/BOOT/BOOTX64.EFI": {Data: seededBytes(3000, 4)},
			"A long name.txt":      {Data: []byte("hello\n")},
			"empty":                {},
			"dir/sub/x":            {Data: []byte("x")},
		}
	}
	img := blockdev.NewMem(size, 0)
	if err := Format(img, 0, size, opts); err != nil {
		tb.Fatal(err)
	}
	return img.Bytes()
}

func FuzzParseBootSector(f *testing.F) {
	f.Add(smallImage(f, 128*kib, Options{SectorsPerCluster: 1})[:512])
	f.Add(smallImage(f, 8*mib, Options{FATType: 16, Label: "L"})[:512])
	f.Add(smallImage(f, 4*mib, Options{SectorSize: 4096})[:4096])
	fat32 := blockdev.NewMem(34*mib, 0)
	if err := Format(fat32, 0, 34*mib, Options{FATType: 32}); err != nil {
		f.Fatal(err)
	}
	f.Add(fat32.Bytes()[:512])
	f.Add(make([]byte, 512))
	f.Fuzz(func(t *testing.T, b []byte) {
		bs, err := ParseBootSector(b)
		if err != nil {
			return
		}
		switch {
		case bs.FATType != 12 && bs.FATType != 16 && bs.FATType != 32:
			t.Fatalf("FAT type %d", bs.FATType)
		case bs.Clusters == 0 || bs.DataSector >= bs.TotalSectors:
			t.Fatalf("accepted %+v", bs)
		}
	})
}

func FuzzReadDir(f *testing.F) {
	img := smallImage(f, 128*kib, Options{SectorsPerCluster: 1, Label: "SEED"})
	fsys, err := Open(bytes.NewReader(img), 0, int64(len(img)))
	if err != nil {
		f.Fatal(err)
	}
	bs := fsys.BootSector()
	root := int64(bs.ReservedSectors+bs.NumFATs*int(bs.FATSectors)) * int64(bs.BytesPerSector)
	f.Add(img[root:int64(bs.DataSector)*int64(bs.BytesPerSector)], false)
	f.Add(img[fsys.clusterOffset(2):fsys.clusterOffset(4)], true)
	f.Fuzz(func(t *testing.T, b []byte, fat32 bool) {
		d := parseDir(b, fat32)
		if len(d.entries) > len(b)/dirEntrySize {
			t.Fatalf("%d entries from %d bytes", len(d.entries), len(b))
		}
		for _, e := range d.entries {
			if !validEntryName(e.Name()) || e.ShortName() == "" && e.Name() == "" {
				t.Fatalf("entry with name %q", e.Name())
			}
			if e.IsDir() && e.Size() != 0 {
				t.Fatalf("directory of size %d", e.Size())
			}
		}
	})
}

// FuzzOpen reads whole (corrupted) images: no panics, no endless loops.
func FuzzOpen(f *testing.F) {
	// Small seeds keep the fuzzer fast; they still have subdirectories,
	// long names and multi-cluster files.
	small := fstest.MapFS{"d/f.txt": {Data: seededBytes(1500, 5)}, "Long Name.txt": {Data: []byte("x")}, "e": {}}
	f.Add(smallImage(f, 48*kib, Options{SectorsPerCluster: 1, Source: small}))
	f.Add(smallImage(f, 64*kib, Options{SectorsPerCluster: 2, Label: "X", Source: small}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)))
		if err != nil {
			return
		}
		fsys.Label()
		budget := 100 // directory cycles are possible in corrupt images
		var walk func(dir string, depth int)
		walk = func(dir string, depth int) {
			ents, err := fsys.ReadDir(dir)
			if err != nil || depth > 3 {
				return
			}
			for _, e := range ents {
				if budget--; budget < 0 {
					return
				}
				p := path.Join(dir, e.Name())
				if e.IsDir() {
					walk(p, depth+1)
					continue
				}
				info, err := fsys.Stat(p)
				if err != nil {
					continue
				}
				// Duplicate names are possible, so compare with what p
				// resolves to, not with e.
				if data, err := fsys.ReadFile(p); err == nil && int64(len(data)) != info.Size() {
					t.Fatalf("%s: read %d bytes, entry says %d", p, len(data), info.Size())
				}
			}
		}
		walk(".", 0)
	})
}
