package gptdev

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gpt/gpttest"
	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestCommit4Kn(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	dev := testdisk.AttachLoop(t, testdisk.TempSparse(t, "disk.img", 1<<30), testdisk.LoopOptions{SectorSize: 4096}).Dev
	d, err := Open(dev, 0, blockdev.Roots{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.IsBlockDevice() || d.SectorSize() != 4096 || d.Size() != 1<<30 {
		t.Fatalf("Open(%s) = block %v, %d-byte sectors, %d bytes", dev, d.IsBlockDevice(), d.SectorSize(), d.Size())
	}
	if _, err := Open(dev, 512, blockdev.Roots{}); err == nil {
		t.Errorf("Open with the wrong sector size succeeded")
	}
	tb := gpttest.Sample(t, d.Size(), d.SectorSize())
	if err := d.Commit(tb, false); err != nil {
		t.Fatal(err)
	}
	// Commit waits for the nodes: no sleep here.
	for _, p := range tb.Partitions {
		if _, err := os.Stat(fmt.Sprintf("%sp%d", dev, p.Number)); err != nil {
			t.Errorf("partition node: %v", err)
		}
	}
	if out := testdisk.Run(t, sgdisk, "-v", dev); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	if got, want := gpttest.ParseSgdiskPrint(t, testdisk.Run(t, sgdisk, "-p", dev)), gpttest.Rows(tb); !reflect.DeepEqual(got, want) {
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
	if _, err := d.Read(); !errors.Is(err, gpt.ErrNotFound) {
		t.Errorf("after zap: %v", err)
	}
}

func TestCommitNoPartScan(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	dev := testdisk.AttachLoop(t, img, testdisk.LoopOptions{NoPartScan: true}).Dev
	d, err := Open(dev, 0, blockdev.Roots{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Commit(gpttest.Sample(t, d.Size(), d.SectorSize()), false); !errors.Is(err, blockdev.ErrNoPartScan) {
		t.Fatalf("Commit: %v, want ErrNoPartScan", err)
	}
	if _, err := d.Read(); err != nil {
		t.Errorf("table not written: %v", err)
	}
}

func TestCommitRefusesMounted(t *testing.T) {
	// ext4, not vfat: this build machine's kernel has no vfat driver.
	mkfs := testdisk.Tool(t, "mkfs.ext4")
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	dev := testdisk.AttachLoop(t, img, testdisk.LoopOptions{}).Dev
	d, err := Open(dev, 0, blockdev.Roots{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tb := gpttest.Sample(t, d.Size(), d.SectorSize())
	if err := d.Commit(tb, false); err != nil {
		t.Fatal(err)
	}
	testdisk.Run(t, mkfs, "-q", dev+"p1")
	mnt := testdisk.Mount(t, dev+"p1").Dir
	before := testdisk.SHA256(t, img)
	err = d.CheckNotInUse()
	if !errors.Is(err, blockdev.ErrBusy) || !strings.Contains(err.Error(), "p1 is mounted on "+mnt) {
		t.Errorf("CheckNotInUse: %v", err)
	}
	if err := d.Commit(nil, true); !errors.Is(err, blockdev.ErrBusy) {
		t.Errorf("Commit on a mounted disk: %v", err)
	}
	if testdisk.SHA256(t, img) != before {
		t.Errorf("refused Commit changed the disk")
	}
}

// A table for another disk geometry is refused before anything is written.
func TestCommitRejectsOtherGeometry(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	d, err := Open(img, 512, blockdev.Roots{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before := testdisk.SHA256(t, img)
	if err := d.Commit(gpttest.Sample(t, 32<<20, 512), true); err == nil || !strings.Contains(err.Error(), "table is for") {
		t.Errorf("Commit of a table for a smaller disk: %v", err)
	}
	if testdisk.SHA256(t, img) != before {
		t.Errorf("refused Commit changed the disk")
	}
}
