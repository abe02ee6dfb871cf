package main

import (
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestBlockDevice formats a real block device (a loop device): its size
// comes from BLKGETSIZE64 and the journal is zeroed with BLKZEROOUT. It
// then checks that a mounted device, its backing image, and a detached
// (vanished) device are refused without writing.
func TestBlockDevice(t *testing.T) {
	img := testdisk.TempSparse(t, "backing.img", 256<<20)
	loop := testdisk.AttachLoop(t, img, testdisk.LoopOptions{})
	dev := loop.Dev

	if out, err := mkfs("-L", "loopdev", "-U", testUUID, dev); err != nil {
		t.Fatalf("mkfs-ext4 %s: %v\n%s", dev, err, out)
	} else if !strings.Contains(out, "65536 blocks of 4096 bytes") {
		t.Fatalf("device size not taken from the device: %q", out)
	}
	e2fsckClean(t, dev)
	if out, err := mkfs("-F", dev, "1T"); err == nil || !strings.Contains(err.Error(), "exceeds the device") {
		t.Fatalf("SIZE beyond the device: %v %q", err, out)
	}

	// Read-only, so that the kernel itself leaves the image unchanged.
	m := testdisk.Mount(t, dev, "-o", "ro")
	mnt := m.Dir
	before := testdisk.SHA256(t, img)
	_, errDev := mkfs("-F", dev)
	_, errImg := mkfs("-F", img)
	m.Unmount()
	if errDev == nil || !strings.Contains(errDev.Error(), "is mounted on "+mnt) {
		t.Errorf("mounted device: %v", errDev)
	}
	if errImg == nil || !strings.Contains(errImg.Error(), "is mounted on "+mnt) {
		t.Errorf("image of a mounted loop device: %v", errImg)
	}
	if testdisk.SHA256(t, img) != before {
		t.Error("refusing a mounted target changed it")
	}
	e2fsckClean(t, img)

	loop.Detach()
	if out, err := mkfs("-F", dev); err == nil || !strings.Contains(err.Error(), "gone away") {
		t.Errorf("detached device: %v %q", err, out)
	}
}
