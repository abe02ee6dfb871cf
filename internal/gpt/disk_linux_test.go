package gpt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// loopDevice attaches img to a loop device with the given logical sector
// size and partition scanning, detached again at cleanup.
func loopDevice(t *testing.T, img string, ss int) string {
	t.Helper()
	losetup := tool(t, "losetup", "util-linux")
	dev := strings.TrimSpace(run(t, losetup, "--sector-size", fmt.Sprint(ss), "-P", "-f", "--show", img))
	t.Cleanup(func() {
		if out, err := exec.Command(losetup, "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v %s", dev, err, out)
		}
	})
	return dev
}

func TestCommit4Kn(t *testing.T) {
	sgdisk := tool(t, "sgdisk", "gdisk")
	dev := loopDevice(t, sparseImage(t, 1<<30), 4096)
	d, err := Open(dev, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.BlockDevice || d.SectorSize != 4096 || d.Size != 1<<30 {
		t.Fatalf("Open(%s) = %+v", dev, d)
	}
	if _, err := Open(dev, 512); err == nil {
		t.Errorf("Open with the wrong sector size succeeded")
	}
	tb := sample(t, d.Size, d.SectorSize)
	if err := d.Commit(tb, false); err != nil {
		t.Fatal(err)
	}
	// Commit waits for the nodes: no sleep here.
	for _, p := range tb.Partitions {
		if _, err := os.Stat(fmt.Sprintf("%sp%d", dev, p.Number)); err != nil {
			t.Errorf("partition node: %v", err)
		}
	}
	if out := run(t, sgdisk, "-v", dev); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	if got, want := parseSgdiskPrint(t, run(t, sgdisk, "-p", dev)), rows(tb); !reflect.DeepEqual(got, want) {
		t.Errorf("sgdisk -p %+v, want %+v", got, want)
	}
	back, err := d.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, tb) {
		t.Errorf("read back %+v, want %+v", back, tb)
	}

	// One partition fewer: the kernel must drop p2.
	if err := tb.Delete(2); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(tb, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dev + "p2"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%sp2 still there after deleting it: %v", dev, err)
	}
	if err := d.Commit(nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(); !errors.Is(err, ErrNotFound) {
		t.Errorf("after zap: %v", err)
	}
}

func TestCommitNoPartScan(t *testing.T) {
	losetup := tool(t, "losetup", "util-linux")
	img := sparseImage(t, 64<<20)
	dev := strings.TrimSpace(run(t, losetup, "-f", "--show", img))
	t.Cleanup(func() { exec.Command(losetup, "-d", dev).Run() })
	d, err := Open(dev, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Commit(sample(t, d.Size, d.SectorSize), false); !errors.Is(err, ErrNoPartScan) {
		t.Fatalf("Commit: %v, want ErrNoPartScan", err)
	}
	if _, err := d.Read(); err != nil {
		t.Errorf("table not written: %v", err)
	}
}

func TestCommitRefusesMounted(t *testing.T) {
	// ext4, not vfat: this build machine's kernel has no vfat driver.
	mkfs := tool(t, "mkfs.ext4", "e2fsprogs")
	img := sparseImage(t, 64<<20)
	dev := loopDevice(t, img, 512)
	d, err := Open(dev, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tb := sample(t, d.Size, d.SectorSize)
	if err := d.Commit(tb, false); err != nil {
		t.Fatal(err)
	}
	run(t, mkfs, "-q", dev+"p1")
	mnt := t.TempDir()
	run(t, "mount", dev+"p1", mnt)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v %s", err, out)
		}
	})
	before := fileHash(t, img)
	err = d.CheckNotInUse()
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "p1 is mounted on "+mnt) {
		t.Errorf("CheckNotInUse: %v", err)
	}
	if err := d.Commit(nil, true); !errors.Is(err, ErrBusy) {
		t.Errorf("Commit on a mounted disk: %v", err)
	}
	if fileHash(t, img) != before {
		t.Errorf("refused Commit changed the disk")
	}
}
