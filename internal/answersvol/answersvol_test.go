package answersvol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

const yaml = "disk: largest\nwipe: false\n"

// system is a fake machine: a sysfs tree and a /dev directory whose
// "device nodes" are image files, a whole disk and each partition a file
// of its own, as the kernel shows them.
type system struct {
	t        *testing.T
	sys, dev string
}

func newSystem(t *testing.T) *system {
	return &system{t: t, sys: t.TempDir(), dev: t.TempDir()}
}

func (s *system) write(rel, content string) {
	s.t.Helper()
	p := filepath.Join(s.sys, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// sysDisk declares disk name in sysfs, with partitions name1, name2, ...
func (s *system) sysDisk(name, model string, size int64, parts int) {
	s.t.Helper()
	s.write("block/"+name+"/size", fmt.Sprintf("%d\n", size/512))
	s.write("block/"+name+"/device/model", model+"\n")
	s.write("block/"+name+"/device/serial", "SN-"+name+"\n")
	for i := 1; i <= parts; i++ {
		s.write(fmt.Sprintf("block/%s/%s%d/partition", name, name, i), fmt.Sprintf("%d\n", i))
	}
}

// superfloppy makes the image of a whole disk a filesystem of its own.
func (s *system) superfloppy(name, model, img string) {
	s.t.Helper()
	fi, err := os.Stat(img)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(img, filepath.Join(s.dev, name)); err != nil {
		s.t.Fatal(err)
	}
	s.sysDisk(name, model, fi.Size(), 0)
}

// gptDisk assembles disk name from partition images: a GPT made by
// sgdisk, each partition's bytes copied at its offset, and each partition
// also a device node of its own.
func (s *system) gptDisk(name, model string, parts ...string) {
	s.t.Helper()
	sgdisk := testdisk.Tool(s.t, "sgdisk")
	const start = 1 << 20
	size := int64(2 * start)
	for _, p := range parts {
		size += fileSize(s.t, p)
	}
	diskImg := testdisk.Sparse(s.t, filepath.Join(s.dev, name), size)
	args := []string{"-o"}
	off := int64(start)
	for i, p := range parts {
		n := fileSize(s.t, p)
		args = append(args, "-n", fmt.Sprintf("%d:%d:%d", i+1, off/512, (off+n)/512-1), "-t", fmt.Sprintf("%d:0700", i+1))
		copyAt(s.t, diskImg, off, p)
		off += n
		if err := os.Rename(p, filepath.Join(s.dev, fmt.Sprintf("%s%d", name, i+1))); err != nil {
			s.t.Fatal(err)
		}
	}
	testdisk.Run(s.t, sgdisk, append(args, diskImg)...)
	s.sysDisk(name, model, size, len(parts))
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// copyAt copies file src into dst at off, leaving holes where src is zero.
func copyAt(t *testing.T, dst string, off int64, src string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	buf := make([]byte, 64<<10)
	zero := make([]byte, len(buf))
	for pos := int64(0); ; pos += int64(len(buf)) {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, err := out.WriteAt(buf[:n], off+pos); err != nil {
				t.Fatal(err)
			}
		}
		if err != nil {
			return
		}
	}
}

// fatImage makes a FAT filesystem image with mkfs.fat and copies files
// (name -> content) into its root with mcopy.
func fatImage(t *testing.T, sizeMiB int64, mkfsArgs []string, files map[string]string) string {
	t.Helper()
	mkfs := testdisk.Tool(t, "mkfs.fat")
	img := testdisk.TempSparse(t, "fat.img", sizeMiB<<20)
	testdisk.Run(t, mkfs, append(mkfsArgs, img)...)
	mcopy := testdisk.Tool(t, "mcopy")
	for name, content := range files {
		src := filepath.Join(t.TempDir(), "src")
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		testdisk.Run(t, mcopy, "-i", img, src, "::"+name)
	}
	return img
}

// setBootLabel overwrites the label in the boot sector only, as Windows
// leaves it when it renames a volume (it updates the root entry).
func setBootLabel(t *testing.T, img string, fat32 bool, label string) {
	t.Helper()
	off := int64(43)
	if fat32 {
		off = 71
	}
	f, err := os.OpenFile(img, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%-11s", label)), off); err != nil {
		t.Fatal(err)
	}
}

func bootLabel(t *testing.T, img string) string {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := vfat.ParseBootSector(b)
	if err != nil {
		t.Fatal(err)
	}
	return bs.Label
}

// machine builds the fake system the tests share:
//
//	nvme0n1  GPT: p1 FAT "EFI", p2 ext4 labelled PLINTHCFG     -> none
//	sdb      GPT: sdb1 FAT16 PLINTHCFG with install.yaml      -> sdb1
//	sdc      superfloppy FAT32 PLINTHCFG with install.yaml    -> sdc
//	sdd      superfloppy "plinthcfg" (lower case), no file    -> sdd
//	sde      label only in the root entry (mlabel, boot sector
//	         reset to NO NAME), INSTALL.YAML in upper case    -> sde
//	sdf      boot sector PLINTHCFG, root entry BACKUP         -> none
//	sdg      FAT without a label                              -> none
//	sr0      CD drive without a device node                   -> none
//	vda      GPT: vda1 FAT32 PLINTHCFG by vfat.Format         -> vda1
func machine(t *testing.T) *system {
	s := newSystem(t)
	mkfsExt4 := testdisk.Tool(t, "mkfs.ext4")
	mlabel := testdisk.Tool(t, "mlabel")

	esp := fatImage(t, 8, []string{"-n", "EFI"}, map[string]string{"install.yaml": "not me"})
	ext := testdisk.TempSparse(t, "ext4.img", 8<<20)
	testdisk.Run(t, mkfsExt4, "-q", "-F", "-L", Label, ext)
	s.gptDisk("nvme0n1", "QEMU NVMe Ctrl", esp, ext)
	// The kernel names NVMe partitions nvme0n1p1: rename what gptDisk made.
	for i := 1; i <= 2; i++ {
		old := fmt.Sprintf("nvme0n1%d", i)
		neu := fmt.Sprintf("nvme0n1p%d", i)
		if err := os.Rename(filepath.Join(s.dev, old), filepath.Join(s.dev, neu)); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(s.sys, "block/nvme0n1", old), filepath.Join(s.sys, "block/nvme0n1", neu)); err != nil {
			t.Fatal(err)
		}
	}

	s.gptDisk("sdb", "Cruzer Blade", fatImage(t, 16, []string{"-F", "16", "-n", Label}, map[string]string{"install.yaml": yaml + "# sdb1\n"}))
	s.superfloppy("sdc", "DataTraveler", fatImage(t, 64, []string{"-F", "32", "-n", Label}, map[string]string{"install.yaml": yaml + "# sdc\n"}))
	s.superfloppy("sdd", "Lower Case", fatImage(t, 4, []string{"-n", "plinthcfg"}, map[string]string{"other.txt": "x"}))

	sde := fatImage(t, 4, nil, map[string]string{"INSTALL.YAML": yaml + "# sde\n"})
	testdisk.Run(t, mlabel, "-i", sde, "::"+Label)
	setBootLabel(t, sde, false, "NO NAME")
	if got := bootLabel(t, sde); got != "NO NAME" {
		t.Fatalf("sde boot sector label %q, want NO NAME", got)
	}
	s.superfloppy("sde", "Root Entry", sde)

	sdf := fatImage(t, 4, []string{"-n", Label}, map[string]string{"install.yaml": yaml})
	testdisk.Run(t, mlabel, "-i", sdf, "::BACKUP")
	setBootLabel(t, sdf, false, Label)
	s.superfloppy("sdf", "Renamed", sdf)

	s.superfloppy("sdg", "No Label", fatImage(t, 4, nil, map[string]string{"install.yaml": yaml}))

	s.write("block/sr0/size", "2097152\n")
	s.write("block/sr0/removable", "1\n")

	vda1 := testdisk.TempSparse(t, "vda1.img", 64<<20)
	f, err := os.OpenFile(vda1, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = vfat.Format(f, 0, 64<<20, vfat.Options{
		FATType: 32, Label: Label, HiddenSectors: 2048,
		Source: fstest.MapFS{"install.yaml": {Data: []byte(yaml + "# vda1\n")}},
	})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.gptDisk("vda", "", vda1)
	return s
}

func TestFindAndRead(t *testing.T) {
	s := machine(t)
	vols, err := Find(s.sys, s.dev)
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	var got []string
	for _, v := range vols {
		got = append(got, strings.TrimPrefix(v.Device, s.dev+"/")+"@"+v.Disk)
	}
	want := []string{"sdb1@sdb", "sdc@sdc", "sdd@sdd", "sde@sde", "vda1@vda"}
	if !slices.Equal(got, want) {
		t.Fatalf("Find = %v, want %v", got, want)
	}
	byDisk := map[string]Volume{}
	for _, v := range vols {
		byDisk[v.Disk] = v
	}
	for disk, want := range map[string]string{
		"sdb": "Cruzer Blade, 18.9 MB, serial SN-sdb (scsi, sdb), partition sdb1",
		"sdc": "DataTraveler, 67.1 MB, serial SN-sdc (scsi, sdc), whole disk",
	} {
		if got := byDisk[disk].Describe; got != want {
			t.Errorf("%s: Describe = %q, want %q", disk, got, want)
		}
	}

	tests := []struct {
		vol     Volume
		want    string // install.yaml contents
		wantErr string // substring of the error, "" for none
	}{
		{vol: byDisk["sdb"], want: yaml + "# sdb1\n"},
		{vol: byDisk["sdc"], want: yaml + "# sdc\n"},
		{vol: byDisk["sde"], want: yaml + "# sde\n"},
		{vol: byDisk["vda"], want: yaml + "# vda1\n"},
		{vol: byDisk["sdd"], wantErr: "PLINTHCFG volume on " + s.dev + "/sdd (Lower Case, 4.2 MB, serial SN-sdd (scsi, sdd), whole disk) has no install.yaml in its root"},
		{vol: Volume{Device: filepath.Join(s.dev, "sdg"), Disk: "sdg"}, wantErr: `is now labelled "NO NAME", not PLINTHCFG`},
		{vol: Volume{Device: filepath.Join(s.dev, "nvme0n1p2"), Disk: "nvme0n1"}, wantErr: "no longer holds a FAT filesystem"},
		{vol: Volume{Device: filepath.Join(s.dev, "sr0"), Disk: "sr0"}, wantErr: "answersvol: open " + s.dev + "/sr0"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.vol.Device), func(t *testing.T) {
			b, err := Read(tt.vol)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Read: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Read error = %v, want one containing %q", err, tt.wantErr)
			case string(b) != tt.want:
				t.Errorf("Read = %q, want %q", b, tt.want)
			}
		})
	}
	if _, err := Read(byDisk["sdd"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a volume without install.yaml: %v does not wrap fs.ErrNotExist", err)
	}
}

// breakRoot frees the first cluster of a FAT32 root directory in the
// first FAT, so that the root directory (and its label entry) cannot be
// read while the boot sector still parses.
func breakRoot(t *testing.T, img string) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 512)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	bs, err := vfat.ParseBootSector(b)
	if err != nil || bs.FATType != 32 {
		t.Fatalf("breakRoot: %v, FAT%d", err, bs.FATType)
	}
	at := int64(bs.ReservedSectors*bs.BytesPerSector) + 4*int64(bs.RootCluster)
	if _, err := f.WriteAt(make([]byte, 4), at); err != nil {
		t.Fatal(err)
	}
}

func TestFindUnreadableRoot(t *testing.T) {
	s := newSystem(t)
	files := map[string]string{"install.yaml": yaml}
	s.superfloppy("sda", "Good", fatImage(t, 4, []string{"-n", Label}, files))
	broken := fatImage(t, 64, []string{"-F", "32", "-n", Label}, files)
	breakRoot(t, broken)
	s.superfloppy("sdb", "Broken Answers", broken)
	other := fatImage(t, 64, []string{"-F", "32", "-n", "OTHER"}, files)
	breakRoot(t, other)
	s.superfloppy("sdc", "Broken Other", other)

	vols, err := Find(s.sys, s.dev)
	if len(vols) != 1 || vols[0].Disk != "sda" {
		t.Errorf("Find = %+v, want only sda", vols)
	}
	if err == nil || !strings.Contains(err.Error(), s.dev+"/sdb: the boot sector says PLINTHCFG but the root directory cannot be read") {
		t.Errorf("Find error = %v, want one about sdb", err)
	}
	if err != nil && strings.Contains(err.Error(), "sdc") {
		t.Errorf("Find error %v names sdc, a broken volume not labelled %s", err, Label)
	}
}

func TestFindMissingSysfs(t *testing.T) {
	if _, err := Find(filepath.Join(t.TempDir(), "nope"), t.TempDir()); err == nil {
		t.Error("Find without sysfs succeeded")
	}
}

func TestIsLabel(t *testing.T) {
	tests := []struct {
		label string
		want  bool
	}{
		{"PLINTHCFG", true},
		{"plinthcfg", true},
		{"PLINTHCFG  ", true},
		{"PLINTHCFG2", false},
		{" PLINTHCFG", false},
		{"NO NAME", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsLabel(tt.label); got != tt.want {
			t.Errorf("IsLabel(%q) = %v, want %v", tt.label, got, tt.want)
		}
	}
}

func TestOne(t *testing.T) {
	a := Volume{Device: "/dev/sdb1", Disk: "sdb", Describe: "Cruzer Blade, 16.0 GB (usb, sdb), partition sdb1"}
	b := Volume{Device: "/dev/sdc", Disk: "sdc", Describe: "DataTraveler, 8.0 GB (usb, sdc), whole disk"}
	tests := []struct {
		name    string
		vols    []Volume
		want    Volume
		wantErr []string // substrings of the error
	}{
		{name: "none", wantErr: []string{"no FAT volume labelled PLINTHCFG"}},
		{name: "one", vols: []Volume{a}, want: a},
		{name: "two", vols: []Volume{a, b}, wantErr: []string{"2 volumes are labelled PLINTHCFG", "ambiguous", "/dev/sdb1 (Cruzer Blade", "/dev/sdc (DataTraveler", "all but one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := One(tt.vols)
			if got != tt.want {
				t.Errorf("One = %+v, want %+v", got, tt.want)
			}
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("One error = %v, want one containing %q", err, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("One error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := One(nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("One(nil) = %v, want ErrNotFound", err)
	}
}
