package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// toolCase is an image made by a real tool, probed and compared with
// blkid and wipefs.
type toolCase struct {
	name string
	size int64
	// make writes the image img and returns the path blkid and wipefs
	// read: img, or a loop device presenting it.
	make func(t *testing.T, img string) string
	want []string // the names Probe must report, in order
	// ignorePT skips comparing the partition table with blkid: blkid
	// before 2.39 takes an exFAT boot sector for an empty DOS table.
	ignorePT bool
	noIDs    bool // the probe reads no label or UUID (UDF)
	backup   bool // the first finding must be a backup copy
}

// tool returns a maker running the command with args, IMG replaced by the
// image's path.
func tool(name string, args ...string) func(t *testing.T, img string) string {
	return func(t *testing.T, img string) string {
		a := make([]string, len(args))
		for i, s := range args {
			a[i] = strings.ReplaceAll(s, "IMG", img)
		}
		testdisk.Run(t, testdisk.Tool(t, name), a...)
		return img
	}
}

// then runs more steps on the image after make.
func then(make func(*testing.T, string) string, steps ...func(*testing.T, string)) func(*testing.T, string) string {
	return func(t *testing.T, img string) string {
		dev := make(t, img)
		for _, s := range steps {
			s(t, img)
		}
		return dev
	}
}

// zero overwrites n bytes at off with zeros (negative off: from the end).
func zero(off, n int64) func(*testing.T, string) {
	return func(t *testing.T, img string) {
		f, err := os.OpenFile(img, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if off < 0 {
			st, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			off += st.Size()
		}
		if _, err := f.WriteAt(make([]byte, n), off); err != nil {
			t.Fatal(err)
		}
	}
}

func sfdiskDOS(t *testing.T, img string) string {
	cmd := exec.Command(testdisk.Tool(t, "sfdisk"), "-q", img)
	cmd.Stdin = strings.NewReader("label: dos\n,4M,83\n,,c\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	return img
}

// isoTree is a directory to make ISO and SquashFS images of.
func isoTree(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func xorriso(extra ...string) func(*testing.T, string) string {
	return func(t *testing.T, img string) string {
		args := append([]string{"-as", "mkisofs", "-quiet", "-V", "PLINTH_TEST", "-o", img}, extra...)
		return tool("xorriso", append(args, isoTree(t))...)(t, img)
	}
}

func hybridISO(t *testing.T, img string) string {
	esp := filepath.Join(t.TempDir(), "esp.img")
	tool("mkfs.fat", "-C", esp, "1024")(t, esp)
	return xorriso("-append_partition", "2", "0xef", esp)(t, img)
}

func squashfs(t *testing.T, img string) string {
	return tool("mksquashfs", isoTree(t), img, "-noappend", "-quiet")(t, img)
}

func luks(typ string, extra ...string) func(*testing.T, string) string {
	return func(t *testing.T, img string) string {
		key := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(key, []byte("not a secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"luksFormat", "--type", typ, "--batch-mode", "--key-file", key,
			"--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"}
		return tool("cryptsetup", append(append(args, extra...), img)...)(t, img)
	}
}

// pvcreate makes an LVM physical volume through a loop device (LVM only
// works on block devices), limited to that device so that no other LVM
// state on the machine is read or changed.
func pvcreate(t *testing.T, img string) string {
	l := testdisk.AttachLoop(t, img, testdisk.LoopOptions{})
	cmd := exec.Command(testdisk.Tool(t, "pvcreate"), "--devices", l.Dev, "-ff", "-y", l.Dev)
	cmd.Env = append(os.Environ(), "LVM_SUPPRESS_FD_WARNINGS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pvcreate %s: %v\n%s", l.Dev, err, out)
	}
	l.Detach()
	return img
}

// gpt4K partitions the image through a loop device with 4096-byte
// sectors; blkid must read the device to know the sector size.
func gpt4K(t *testing.T, img string) string {
	l := testdisk.AttachLoop(t, img, testdisk.LoopOptions{SectorSize: 4096})
	tool("sgdisk", "-n", "1:0:0", "-t", "1:8300", l.Dev)(t, l.Dev)
	return l.Dev
}

// md writes an md superblock and checks that mdadm, which verifies the
// checksum, takes it for one.
func md(version string) func(*testing.T, string) string {
	return func(t *testing.T, img string) string {
		st, err := os.Stat(img)
		if err != nil {
			t.Fatal(err)
		}
		writeMD(t, img, st.Size(), version)
		out := testdisk.Run(t, testdisk.Tool(t, "mdadm"), "--examine", img)
		want := "Version : " + map[string]string{"0.90": "0.90.00"}[version]
		if want == "Version : " {
			want += version
		}
		if !strings.Contains(out, want) || strings.Contains(out, "expected") {
			t.Fatalf("mdadm --examine does not take the %s superblock as written:\n%s", version, out)
		}
		return img
	}
}

func toolCases() []toolCase {
	const mib = 1 << 20
	return []toolCase{
		{name: "mke2fs ext2", size: 8 * mib, make: tool("mke2fs", "-q", "-F", "-t", "ext2", "-L", "old", "IMG"), want: []string{Ext2}},
		{name: "mke2fs ext3", size: 8 * mib, make: tool("mke2fs", "-q", "-F", "-t", "ext3", "IMG"), want: []string{Ext3}},
		{name: "mke2fs ext4", size: 8 * mib, make: tool("mke2fs", "-q", "-F", "-t", "ext4", "-L", "data", "IMG"), want: []string{Ext4}},
		{name: "mkfs.fat 12", size: 4 * mib, make: tool("mkfs.fat", "-F", "12", "-n", "FLOPPY", "IMG"), want: []string{VFAT}},
		{name: "mkfs.fat 16", size: 16 * mib, make: tool("mkfs.fat", "-F", "16", "IMG"), want: []string{VFAT}},
		{name: "mkfs.fat 32", size: 40 * mib, make: tool("mkfs.fat", "-F", "32", "-n", "ESP", "IMG"), want: []string{VFAT}},
		{name: "mkfs.exfat", size: 8 * mib, make: tool("mkfs.exfat", "-L", "stick", "IMG"), want: []string{ExFAT}, ignorePT: true},
		{name: "mkfs.ntfs", size: 8 * mib, make: tool("mkfs.ntfs", "-q", "-F", "-f", "-L", "windows", "IMG"), want: []string{NTFS}},
		{name: "mkfs.xfs", size: 300 * mib, make: tool("mkfs.xfs", "-q", "-L", "xfsvol", "IMG"), want: []string{XFS}},
		{name: "mkfs.btrfs", size: 128 * mib, make: tool("mkfs.btrfs", "-q", "-L", "pool", "IMG"), want: []string{Btrfs}},
		{name: "mkfs.f2fs", size: 64 * mib, make: tool("mkfs.f2fs", "-q", "-l", "flash", "IMG"), want: []string{F2FS}},
		{name: "mksquashfs", size: 0, make: squashfs, want: []string{SquashFS}},
		{name: "mkudffs", size: 8 * mib, make: tool("mkudffs", "--label=disc", "IMG"), want: []string{UDF}, noIDs: true},
		{name: "mkswap", size: 8 * mib, make: tool("mkswap", "-L", "swap0", "IMG"), want: []string{SwapArea}},
		{name: "mkswap 64K pages", size: 8 * mib, make: tool("mkswap", "--pagesize", "65536", "IMG"), want: []string{SwapArea}},
		{name: "make-bcache backing", size: 8 * mib, make: tool("make-bcache", "-B", "IMG"), want: []string{BcacheDev}},
		{name: "make-bcache cache", size: 8 * mib, make: tool("make-bcache", "--bucket", "32k", "-C", "IMG"), want: []string{BcacheDev}},
		{name: "luks1", size: 8 * mib, make: luks("luks1"), want: []string{LUKS}},
		{name: "luks2", size: 16 * mib, make: luks("luks2", "--label", "secret"), want: []string{LUKS}},
		{name: "luks2 secondary header only", size: 16 * mib, make: then(luks("luks2"), zero(0, 4096)), want: []string{LUKS}, backup: true},
		{name: "pvcreate", size: 8 * mib, make: pvcreate, want: []string{LVM2}},
		{name: "md 0.90", size: 8 * mib, make: md("0.90"), want: []string{LinuxRAID}},
		{name: "md 1.0", size: 8*mib + 5*512, make: md("1.0"), want: []string{LinuxRAID}},
		{name: "md 1.1", size: 8 * mib, make: md("1.1"), want: []string{LinuxRAID}},
		{name: "md 1.2", size: 8 * mib, make: md("1.2"), want: []string{LinuxRAID}},
		{name: "sgdisk", size: 16 * mib, make: tool("sgdisk", "-n", "1:0:+4M", "-t", "1:ef00", "-n", "2:0:0", "IMG"), want: []string{GPT}},
		{name: "sgdisk primary header damaged", size: 16 * mib, make: then(tool("sgdisk", "-n", "1:0:0", "IMG"), zero(512, 512)), want: []string{GPT}, backup: true},
		{name: "sgdisk 4K sectors", size: 16 * mib, make: gpt4K, want: []string{GPT}},
		{name: "parted gpt", size: 16 * mib, make: tool("parted", "-s", "IMG", "mklabel", "gpt", "mkpart", "p", "1MiB", "8MiB"), want: []string{GPT}},
		{name: "sfdisk dos", size: 16 * mib, make: sfdiskDOS, want: []string{DOS}},
		{name: "parted msdos", size: 16 * mib, make: tool("parted", "-s", "IMG", "mklabel", "msdos", "mkpart", "primary", "1MiB", "8MiB"), want: []string{DOS}},
		{name: "xorriso", size: 0, make: xorriso(), want: []string{ISO9660}},
		{name: "xorriso appended partition", size: 0, make: hybridISO, want: []string{DOS, ISO9660}},
	}
}

// TestAgainstBlkid makes images with the real tools and checks that Probe
// finds what blkid -p finds, at the offsets wipefs gives.
func TestAgainstBlkid(t *testing.T) {
	for _, c := range toolCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			img := filepath.Join(t.TempDir(), "img")
			if c.size > 0 {
				testdisk.Sparse(t, img, c.size)
			}
			dev := c.make(t, img)
			found := probeFile(t, img)
			if got := Names(found); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Probe found %v (%+v), want %v", got, found, c.want)
			}
			if found[0].Backup != c.backup {
				t.Errorf("Backup = %v, want %v", found[0].Backup, c.backup)
			}
			agreeWithBlkid(t, blkidValues(t, dev), found, c.ignorePT, c.noIDs)
			agreeWithWipefs(t, wipefsList(t, dev), found)
		})
	}
}

// TestGPTBackupOnly checks a disk whose first sectors were wiped: blkid
// wants the protective MBR and finds nothing, but the backup GPT at the
// end still describes partitions someone may want back.
func TestGPTBackupOnly(t *testing.T) {
	img := testdisk.TempSparse(t, "img", 16<<20)
	tool("sgdisk", "-n", "1:0:0", "IMG")(t, img)
	zero(0, 1024)(t, img)
	found := probeFile(t, img)
	want := []Finding{{Kind: PartitionTable, Name: GPT, Offset: 16<<20 - 512, Backup: true}}
	if len(found) != 1 || found[0].UUID == "" {
		t.Fatalf("Probe found %+v, want %+v with the disk GUID", found, want)
	}
	found[0].UUID = ""
	if !reflect.DeepEqual(found, want) {
		t.Errorf("Probe found %+v, want %+v", found, want)
	}
	if vals := blkidValues(t, img); len(vals) != 0 {
		t.Errorf("blkid now finds %v: drop this test's premise", vals)
	}
}

// TestBlank checks that a zeroed image, and one whose only MBR entry is
// empty (what "sfdisk" makes of an empty dos label), hold nothing.
func TestBlank(t *testing.T) {
	img := testdisk.TempSparse(t, "img", 8<<20)
	if found := probeFile(t, img); len(found) != 0 {
		t.Errorf("blank image: %+v", found)
	}
	cmd := exec.Command(testdisk.Tool(t, "sfdisk"), "-q", img)
	cmd.Stdin = strings.NewReader("label: dos\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	if found := probeFile(t, img); len(found) != 0 {
		t.Errorf("empty dos label: %+v", found)
	}
}
