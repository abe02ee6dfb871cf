package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// The tests in this file use real loop devices and the running system's
// /sys, /dev and /proc (Roots{}).

func TestOpenBlockDevice(t *testing.T) {
	loop := testdisk.AttachLoop(t, testdisk.TempSparse(t, "disk.img", 64<<20), testdisk.LoopOptions{SectorSize: 4096})
	d, err := Open(loop.Dev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sysDev, err := os.ReadFile(filepath.Join("/sys/block", filepath.Base(loop.Dev), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if !d.IsBlockDevice() || d.Size() != 64<<20 || d.SectorSize() != 4096 || d.PhysicalSectorSize() != 4096 || d.Dev().String() != strings.TrimSpace(string(sysDev)) {
		t.Errorf("Open(%s): block %v size %d sectors %d/%d dev %v (sysfs %s)", loop.Dev, d.IsBlockDevice(), d.Size(), d.SectorSize(), d.PhysicalSectorSize(), d.Dev(), sysDev)
	}
	if _, err := Open(loop.Dev, Options{SectorSize: 512}); err == nil || !strings.Contains(err.Error(), "4096-byte sectors, not 512") {
		t.Errorf("Open with the wrong sector size: %v", err)
	}
	w, err := Open(loop.Dev, Options{Write: true})
	if err != nil {
		t.Fatalf("exclusive open of an unused device: %v", err)
	}
	defer w.Close()
	// Our own exclusive claim keeps a second writer out.
	if _, err := Open(loop.Dev, Options{Write: true}); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "opened exclusively") {
		t.Errorf("second exclusive open: %v", err)
	}
}

func TestOpenDetached(t *testing.T) {
	loop := testdisk.AttachLoop(t, testdisk.TempSparse(t, "gone.img", 16<<20), testdisk.LoopOptions{})
	loop.Detach()
	if _, err := Open(loop.Dev, Options{}); err == nil || !strings.Contains(err.Error(), "size 0") || !strings.Contains(err.Error(), "gone away") {
		t.Errorf("detached %s: %v", loop.Dev, err)
	}
}

// TestMounted mounts a filesystem on a partition of a loop device: the
// device, the disk by name and the image behind it are all in use.
func TestMounted(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	loop := testdisk.AttachLoop(t, img, testdisk.LoopOptions{})
	name := filepath.Base(loop.Dev)
	w, err := Open(loop.Dev, Options{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	// No table on the disk: the kernel learns of the partition by BLKPG.
	if err := w.Reread(Roots{}, []Extent{{1, 1 << 20, 32 << 20}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	w.Close()
	part, err := PartitionByNumber(Roots{}, name, 1)
	if err != nil {
		t.Fatal(err)
	}
	node := Roots{}.Node(part.Name)
	testdisk.Run(t, testdisk.Tool(t, "mkfs.ext4"), "-q", node)
	mnt := testdisk.Mount(t, node).Dir
	want := fmt.Sprintf("%s is mounted on %s", node, mnt)
	uses, err := InUse(Roots{}, name)
	if err != nil || len(uses) != 1 || uses[0].String() != want {
		t.Errorf("InUse(%s) = %q, %v; want %q", name, uses, err, want)
	}
	for _, path := range []string{loop.Dev, img} {
		if _, err := Open(path, Options{Write: true}); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) for writing: %v", path, err)
		}
		d, err := Open(path, Options{})
		if err != nil {
			t.Errorf("Open(%s) for reading: %v", path, err)
			continue
		}
		d.Close()
	}
}

func TestReread(t *testing.T) {
	loop := testdisk.AttachLoop(t, testdisk.TempSparse(t, "disk.img", 64<<20), testdisk.LoopOptions{SectorSize: 4096})
	w, err := Open(loop.Dev, Options{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := []Extent{{1, 1 << 20, 8 << 20}, {3, 16 << 20, 4 << 20}}
	if err := w.Reread(Roots{}, want, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	parts, err := Partitions(Roots{}, filepath.Base(loop.Dev))
	if err != nil || len(parts) != 2 {
		t.Fatalf("Partitions: %+v, %v", parts, err)
	}
	for _, p := range parts {
		if p.Name != fmt.Sprintf("%sp%d", filepath.Base(loop.Dev), p.Number) {
			t.Errorf("partition %d is called %s", p.Number, p.Name)
		}
		if _, err := os.Stat(Roots{}.Node(p.Name)); err != nil {
			t.Errorf("Reread returned before the node was there: %v", err)
		}
	}
	// One partition fewer and one moved.
	want = []Extent{{1, 1 << 20, 4 << 20}}
	if err := w.Reread(Roots{}, want, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if p, err := PartitionByNumber(Roots{}, filepath.Base(loop.Dev), 1); err != nil || p.Size != 4<<20 {
		t.Errorf("partition 1 after the change: %+v, %v", p, err)
	}
	if _, err := PartitionByNumber(Roots{}, filepath.Base(loop.Dev), 3); err == nil {
		t.Error("partition 3 still there")
	}
}

func TestRereadNoPartScan(t *testing.T) {
	dev := testdisk.AttachLoop(t, testdisk.TempSparse(t, "disk.img", 16<<20), testdisk.LoopOptions{NoPartScan: true}).Dev
	w, err := Open(dev, Options{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Reread(Roots{}, []Extent{{1, 1 << 20, 1 << 20}}, time.Second); !errors.Is(err, ErrNoPartScan) {
		t.Errorf("Reread without partition scanning: %v", err)
	}
}
