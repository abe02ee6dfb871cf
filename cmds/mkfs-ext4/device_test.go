package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBlockDevice formats a real block device (a loop device): its size
// comes from BLKGETSIZE64 and the journal is zeroed with BLKZEROOUT. It
// then checks that a mounted device, its backing image, and a detached
// (vanished) device are refused without writing.
func TestBlockDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestBlockDevice needs root to attach a loop device")
	}
	img := filepath.Join(t.TempDir(), "backing.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(256 << 20)
	f.Close()
	outb, err := exec.Command(tool(t, "losetup"), "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup -f --show (are loop devices available?): %v\n%s", err, outb)
	}
	dev := strings.TrimSpace(string(outb))
	attached := true
	detach := func() {
		if attached {
			if out, err := exec.Command(tool(t, "losetup"), "-d", dev).CombinedOutput(); err != nil {
				t.Errorf("losetup -d %s: %v\n%s", dev, err, out)
			}
			attached = false
		}
	}
	t.Cleanup(detach)

	if out, err := mkfs("-L", "loopdev", "-U", testUUID, dev); err != nil {
		t.Fatalf("mkfs-ext4 %s: %v\n%s", dev, err, out)
	} else if !strings.Contains(out, "65536 blocks of 4096 bytes") {
		t.Fatalf("device size not taken from the device: %q", out)
	}
	e2fsckClean(t, dev)
	if out, err := mkfs("-F", dev, "1T"); err == nil || !strings.Contains(err.Error(), "exceeds the device") {
		t.Fatalf("SIZE beyond the device: %v %q", err, out)
	}

	mnt := t.TempDir()
	// Read-only, so that the kernel itself leaves the image unchanged.
	if out, err := exec.Command(tool(t, "mount"), "-o", "ro", dev, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount %s: %v\n%s", dev, err, out)
	}
	before := hashFile(t, img)
	_, errDev := mkfs("-F", dev)
	_, errImg := mkfs("-F", img)
	if out, err := exec.Command(tool(t, "umount"), mnt).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v\n%s", err, out)
	}
	if errDev == nil || !strings.Contains(errDev.Error(), "is mounted on "+mnt) {
		t.Errorf("mounted device: %v", errDev)
	}
	if errImg == nil || !strings.Contains(errImg.Error(), "is mounted on "+mnt) {
		t.Errorf("image of a mounted loop device: %v", errImg)
	}
	if hashFile(t, img) != before {
		t.Error("refusing a mounted target changed it")
	}
	e2fsckClean(t, img)

	detach()
	if out, err := mkfs("-F", dev); err == nil || !strings.Contains(err.Error(), "gone away") {
		t.Errorf("detached device: %v %q", err, out)
	}
}
