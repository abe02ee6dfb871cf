package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// Test4KnLoopDevice partitions a loop device with 4096-byte logical
// sectors, as sgdisk does on the same kind of device.
func Test4KnLoopDevice(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	fourK := testdisk.LoopOptions{SectorSize: 4096}
	ours := testdisk.AttachLoop(t, testdisk.TempSparse(t, "ours.img", 8<<30), fourK).Dev
	theirs := testdisk.AttachLoop(t, testdisk.TempSparse(t, "theirs.img", 8<<30), fourK).Dev
	args := strings.Fields("-o -U 40000000-1111-4222-8333-444444444444" +
		" -n 1:0:+512M -t 1:EF00 -c 1:ESP -u 1:41000000-1111-4222-8333-444444444444" +
		" -n 2:0:+100K -t 2:8200 -u 2:42000000-1111-4222-8333-444444444444" +
		" -n 3:0:0 -t 3:8300 -c 3:data -u 3:43000000-1111-4222-8333-444444444444")
	status, stdout, stderr := gptpart(append(args, ours)...)
	if status != 0 {
		t.Fatalf("gptpart: %d\n%s%s", status, stdout, stderr)
	}
	// gptpart waits for the kernel: the nodes are there when it returns.
	for _, n := range []string{"p1", "p2", "p3"} {
		if _, err := os.Stat(ours + n); err != nil {
			t.Errorf("partition node: %v", err)
		}
	}
	testdisk.Run(t, sgdisk, append(args, theirs)...)

	if out := testdisk.Run(t, sgdisk, "-v", ours); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	sgp := testdisk.Run(t, sgdisk, "-p", ours)
	if !strings.Contains(sgp, "Sector size (logical/physical): 4096/4096 bytes") || !strings.Contains(sgp, "aligned on 256-sector") {
		t.Errorf("not a 4Kn table:\n%s", sgp)
	}
	if _, ourp, _ := gptpart("-p", ours); ourp != sgp {
		t.Errorf("gptpart -p:\n%s\nsgdisk -p:\n%s", ourp, sgp)
	}
	if info := testdisk.Run(t, sgdisk, "-i", "1", ours); !strings.Contains(info, "Partition unique GUID: 41000000-1111-4222-8333-444444444444") {
		t.Errorf("sgdisk -i 1:\n%s", info)
	}
	if !bytes.Equal(gptAreas(t, ours, 4096), gptAreas(t, theirs, 4096)) {
		t.Errorf("GPT differs from sgdisk's\nsgdisk's:\n%s\nours:\n%s", testdisk.Run(t, sgdisk, "-p", theirs), sgp)
	}
	// And the other way: edit sgdisk's table.
	if status, out, e := gptpart("-d", "2", "-c", "3:renamed", theirs); status != 0 {
		t.Fatalf("gptpart on sgdisk's table: %d %s %s", status, out, e)
	}
	if out := testdisk.Run(t, sgdisk, "-p", theirs); !strings.Contains(out, "renamed") || strings.Contains(out, "8200") {
		t.Errorf("sgdisk -p after edit:\n%s", out)
	}
	if _, err := os.Stat(theirs + "p2"); err == nil {
		t.Errorf("%sp2 still there", theirs)
	}
}

// hashOutside hashes an image, except bytes [from, to) which a mounted
// filesystem may write to.
func hashOutside(t *testing.T, img string, from, to int64) [32]byte {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	clear(b[from:to])
	return sha256.Sum256(b)
}

func TestRefusesMounted(t *testing.T) {
	// ext4, not vfat: this build machine's kernel has no vfat driver.
	mkfs := testdisk.Tool(t, "mkfs.ext4")
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	dev := testdisk.AttachLoop(t, img, testdisk.LoopOptions{}).Dev
	if status, out, e := gptpart("-o", "-n", "1:0:+20M", "-n", "2:0:0", dev); status != 0 {
		t.Fatalf("gptpart: %d %s %s", status, out, e)
	}
	testdisk.Run(t, mkfs, "-q", dev+"p2")
	mnt := testdisk.Mount(t, dev+"p2").Dir
	p2 := int64(43008 * 512) // where -n 2:0:0 starts
	before := hashOutside(t, img, p2, 64<<20)
	for _, args := range [][]string{
		{"-d", "1"},
		{"-o"},
		{"-Z"},
		{"-c", "1:x", "-p"},
	} {
		status, _, stderr := gptpart(append(args, dev)...)
		if status != 4 || !strings.Contains(stderr, "p2 is mounted on "+mnt) {
			t.Errorf("gptpart %v on a mounted disk: status %d, %q", args, status, stderr)
		}
	}
	if hashOutside(t, img, p2, 64<<20) != before {
		t.Errorf("refused command changed the disk")
	}
	// Reading is fine while mounted.
	if status, out, e := gptpart("-p", "-v", dev); status != 0 || !strings.Contains(out, "No problems found") {
		t.Errorf("gptpart -p -v: %d %s %s", status, out, e)
	}
}

func TestDeviceErrors(t *testing.T) {
	// A detached loop device: the node is still there, the disk is not.
	gone := testdisk.AttachLoop(t, testdisk.TempSparse(t, "gone.img", 16<<20), testdisk.LoopOptions{})
	gone.Detach()
	dev := gone.Dev
	if status, _, stderr := gptpart("-o", dev); status != 2 || !strings.Contains(stderr, "size 0") {
		t.Errorf("detached %s: status %d, %q", dev, status, stderr)
	}

	// Without partition scanning the table is written, with a warning.
	img := testdisk.TempSparse(t, "noscan.img", 16<<20)
	dev = testdisk.AttachLoop(t, img, testdisk.LoopOptions{NoPartScan: true}).Dev
	status, out, stderr := gptpart("-o", "-n", "1:0:0", dev)
	if status != 0 || !strings.Contains(stderr, "does not scan partitions") || !strings.Contains(out, "completed successfully") {
		t.Errorf("no partscan: status %d, %q %q", status, out, stderr)
	}
	if status, _, _ := gptpart("--sector-size", "4096", "-p", dev); status != 2 {
		t.Errorf("--sector-size 4096 on a 512-byte device: status %d", status)
	}
}

func TestDamagedPrimary(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	img := testdisk.TempSparse(t, "disk.img", 100<<20)
	if status, out, e := gptpart("-o", "-n", "1:0:+10M", "-c", "1:one", "-n", "2:0:0", img); status != 0 {
		t.Fatalf("gptpart: %d %s %s", status, out, e)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("garbage"), 512+60); err != nil { // primary header's disk GUID
		t.Fatal(err)
	}
	f.Close()

	status, out, _ := gptpart("-p", img)
	if status != 0 || !strings.Contains(out, "using the backup") || !strings.Contains(out, "one") {
		t.Errorf("-p with damaged primary: %d\n%s", status, out)
	}
	status, out, _ = gptpart("-v", img)
	if status != 3 || !strings.Contains(out, "Problem: primary GPT damaged") {
		t.Errorf("-v with damaged primary: %d\n%s", status, out)
	}
	if out := testdisk.Run(t, sgdisk, "-v", img); !strings.Contains(out, "Main header: ERROR") {
		t.Errorf("sgdisk does not see the damage:\n%s", out)
	}
	// Any change writes both copies again.
	if status, out, e := gptpart("-c", "2:two", img); status != 0 {
		t.Fatalf("repair: %d %s %s", status, out, e)
	}
	if out := testdisk.Run(t, sgdisk, "-v", img); !strings.Contains(out, "No problems found") || strings.Contains(out, "ERROR") {
		t.Errorf("sgdisk -v after repair:\n%s", out)
	}
}
