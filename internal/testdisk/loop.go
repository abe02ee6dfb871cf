package testdisk

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// LoopOptions say how AttachLoop presents an image.
type LoopOptions struct {
	SectorSize int   // logical sector size in bytes; 0: the kernel's 512
	ReadOnly   bool  // refuse writes through the device
	Offset     int64 // where the device starts in the image, in bytes
	SizeLimit  int64 // device size in bytes; 0: up to the end of the image
	// NoPartScan attaches without the kernel's partition scan, for tests
	// of code that must cope with a device whose partitions the kernel
	// does not track.
	NoPartScan bool
}

// Loop is an image attached to a loop device.
type Loop struct {
	Dev string // /dev/loopN

	t      testing.TB
	detach *undo
}

// AttachLoop attaches img to a free loop device, with the kernel's
// partition scan unless o says otherwise, so that a partitioned image gets
// its partition devices, and detaches it when the test ends. It needs
// root: RequireRoot skips the test otherwise.
func AttachLoop(t testing.TB, img string, o LoopOptions) *Loop {
	t.Helper()
	RequireRoot(t, "attach a loop device")
	losetup := Tool(t, "losetup")
	args := []string{"--find", "--show"}
	if !o.NoPartScan {
		args = append(args, "--partscan")
	}
	if o.SectorSize != 0 {
		args = append(args, "--sector-size", strconv.Itoa(o.SectorSize))
	}
	if o.ReadOnly {
		args = append(args, "--read-only")
	}
	if o.Offset != 0 {
		args = append(args, "--offset", strconv.FormatInt(o.Offset, 10))
	}
	if o.SizeLimit != 0 {
		args = append(args, "--sizelimit", strconv.FormatInt(o.SizeLimit, 10))
	}
	args = append(args, img)
	out, err := command(losetup, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup %s: %v\n%s(in a container, loop devices need --privileged and the host's /dev)",
			strings.Join(args, " "), err, out)
	}
	dev := strings.TrimSpace(string(out))
	l := &Loop{Dev: dev, t: t, detach: &undo{t: t, argv: []string{losetup, "--detach", dev}}}
	t.Cleanup(l.Detach)
	return l
}

// Detach detaches the device now, for tests of a device that goes away;
// the cleanup then has nothing left to do.
func (l *Loop) Detach() {
	l.t.Helper()
	l.detach.run()
}

// Partition returns the device of partition n (/dev/loopNpN). The
// partition scan of AttachLoop makes it on most kernels; one built without
// partition table support gets it from partx, which reads the table itself
// and adds the partition. Either way its node may appear a moment later.
func (l *Loop) Partition(n int) string {
	l.t.Helper()
	name := fmt.Sprintf("%sp%d", filepath.Base(l.Dev), n)
	if _, err := os.Stat(filepath.Join("/sys/class/block", name)); err != nil {
		Run(l.t, Tool(l.t, "partx"), "--add", "--nr", strconv.Itoa(n), l.Dev)
	}
	p := filepath.Join(filepath.Dir(l.Dev), name)
	Eventually(l.t, p+" to appear", 5*time.Second, func() bool {
		_, err := os.Stat(p)
		return err == nil
	})
	return p
}
