package vfat

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestLayoutLikeMkfs checks that the FAT type and cluster size chosen
// match mkfs.fat's for the same size, and the cluster count nearly so.
func TestLayoutLikeMkfs(t *testing.T) {
	mkfs := testdisk.Tool(t, "mkfs.vfat")
	tests := []struct {
		size    int64
		fatType int
	}{
		{1 * mib, 0}, {4 * mib, 0}, {33 * mib, 0}, {62500 * kib, 0}, {256 * mib, 0},
		{511 * mib, 0}, {512 * mib, 0}, {1 * gib, 0}, {8 * gib, 0}, {8*gib + mib, 0},
		{20 * gib, 0}, {40 * gib, 0},
		{33 * mib, 32}, {260 * mib, 32}, {261 * mib, 32}, {1 * gib, 32},
		{33 * mib, 12}, {33 * mib, 16}, {1 * gib, 16}, {2 * gib, 16},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dKiB/FAT%d", tt.size/kib, tt.fatType), func(t *testing.T) {
			t.Parallel()
			img := filepath.Join(t.TempDir(), "mkfs.img")
			args := []string{"-C", img, strconv.FormatInt(tt.size/kib, 10)}
			if tt.fatType != 0 {
				args = append([]string{"-F", strconv.Itoa(tt.fatType)}, args...)
			}
			if out, err := exec.Command(mkfs, args...).CombinedOutput(); err != nil {
				t.Fatalf("mkfs.vfat %v: %v\n%s", args, err, out)
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ref, err := Open(f, 0, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.BootSector()
			l, err := newLayout(tt.size, &Options{FATType: tt.fatType})
			if err != nil {
				t.Fatal(err)
			}
			if l.fatType != want.FATType || l.spc != want.SectorsPerCluster {
				t.Errorf("FAT%d with %d sectors per cluster, mkfs.fat chose FAT%d with %d",
					l.fatType, l.spc, want.FATType, want.SectorsPerCluster)
			}
			if d := float64(l.clusters) - float64(want.Clusters); d > 0.005*float64(want.Clusters) || -d > 0.005*float64(want.Clusters) {
				t.Errorf("%d clusters, mkfs.fat made %d", l.clusters, want.Clusters)
			}
		})
	}
}

// TestLayoutLimits checks the geometry rules on their own.
func TestLayoutLimits(t *testing.T) {
	tests := []struct {
		name    string
		size    int64
		opts    Options
		fatType int
		spc     int
	}{
		{"floppy-sized auto", 1440 * kib, Options{}, 12, 4},
		{"FAT32 at 2 TiB uses 32K clusters", 2 * tib, Options{}, 32, 64},
		{"FAT32 beyond 2 TiB is clamped", 3 * tib, Options{}, 32, 64},
		{"FAT32 with 4K sectors", 1 * gib, Options{FATType: 32, SectorSize: 4096}, 32, 1},
		{"FAT16 shrinks clusters to reach 4085", 4 * mib, Options{FATType: 16}, 16, 1},
		{"FAT12 grows clusters", 200 * mib, Options{FATType: 12}, 12, 128},
		{"explicit cluster size", 1 * gib, Options{FATType: 32, SectorsPerCluster: 16}, 32, 16},
		{"auto type with small clusters goes FAT32", 300 * mib, Options{SectorsPerCluster: 1}, 32, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := newLayout(tt.size, &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if l.fatType != tt.fatType || l.spc != tt.spc {
				t.Fatalf("FAT%d, %d sectors per cluster; want FAT%d, %d", l.fatType, l.spc, tt.fatType, tt.spc)
			}
			lo, hi := clusterRange(l.fatType)
			if uint64(l.clusters) < lo || uint64(l.clusters) > hi {
				t.Errorf("%d clusters outside FAT%d's %d..%d", l.clusters, l.fatType, lo, hi)
			}
			if l.dataSector()%uint32(l.spc) != 0 {
				t.Errorf("data area at sector %d, not aligned to %d", l.dataSector(), l.spc)
			}
			if l.fatType == 32 && l.reserved != reservedSectors32 {
				t.Errorf("%d reserved sectors, want 32", l.reserved)
			}
			if fatEntryBytes(l.fatType, uint64(l.clusters)+2) > uint64(l.fatSectors)*uint64(l.sectorSize) {
				t.Errorf("FAT of %d sectors too small for %d clusters", l.fatSectors, l.clusters)
			}
			end := uint64(l.dataSector()) + uint64(l.clusters)*uint64(l.spc)
			if end > uint64(l.totalSectors) || uint64(l.totalSectors)*uint64(l.sectorSize) > uint64(tt.size) {
				t.Errorf("layout overruns: data ends at sector %d of %d", end, l.totalSectors)
			}
		})
	}
}
