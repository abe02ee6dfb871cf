package testdisk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequireRoot(t *testing.T) {
	r := record(t, func(tb testing.TB) { RequireRoot(tb, "mount things") })
	switch root := os.Geteuid() == 0; {
	case root && r.skip != "":
		t.Errorf("skipped as root: %q", r.skip)
	case !root && !strings.Contains(r.skip, "needs root to mount things"):
		t.Errorf("as a normal user: skip reason %q", r.skip)
	}
}

// sysBlock reads attribute attr of a block device from sysfs.
func sysBlock(t *testing.T, dev, attr string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/class/block", filepath.Base(dev), attr))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestAttachLoop attaches a GPT image made by sgdisk: both partitions get
// devices, and the cleanup detaches the image.
func TestAttachLoop(t *testing.T) {
	RequireRoot(t, "attach a loop device")
	img := TempSparse(t, "disk.img", 16<<20)
	Run(t, Tool(t, "sgdisk"), "-n", "1:2048:+4M", "-n", "2:0:+2M", img)
	losetup := Tool(t, "losetup")
	var dev string
	t.Run("attached", func(t *testing.T) {
		l := AttachLoop(t, img, LoopOptions{})
		dev = l.Dev
		if got := sysBlock(t, l.Dev, "loop/partscan"); got != "1" {
			t.Errorf("%s: partscan %s, want 1", l.Dev, got)
		}
		if back := Run(t, losetup, "--noheadings", "--output", "BACK-FILE", l.Dev); strings.TrimSpace(back) != img {
			t.Errorf("%s is backed by %q, want %s", l.Dev, back, img)
		}
		for n, sectors := range map[int]string{1: "8192", 2: "4096"} {
			if got := sysBlock(t, l.Partition(n), "size"); got != sectors {
				t.Errorf("partition %d: %s sectors, want %s", n, got, sectors)
			}
		}
	})
	if out := Run(t, losetup, "--associated", img); out != "" {
		t.Errorf("%s still attached after the test: %s", dev, out)
	}
}

// TestAttachLoopOptions checks that each option reaches the device.
func TestAttachLoopOptions(t *testing.T) {
	RequireRoot(t, "attach a loop device")
	img := TempSparse(t, "disk.img", 8<<20)
	l := AttachLoop(t, img, LoopOptions{SectorSize: 4096, ReadOnly: true, Offset: 1 << 20, SizeLimit: 2 << 20, NoPartScan: true})
	for attr, want := range map[string]string{
		"loop/partscan":            "0",
		"ro":                       "1",
		"size":                     "4096", // 512-byte units, whatever the sector size
		"queue/logical_block_size": "4096",
		"loop/offset":              "1048576",
		"loop/sizelimit":           "2097152",
	} {
		if got := sysBlock(t, l.Dev, attr); got != want {
			t.Errorf("%s %s = %s, want %s", l.Dev, attr, got, want)
		}
	}
	l.Detach()
	if out := Run(t, Tool(t, "losetup"), "--associated", img); out != "" {
		t.Errorf("still attached after Detach: %s", out)
	}
	l.Detach() // the cleanup's call: nothing left to do, no error
}
