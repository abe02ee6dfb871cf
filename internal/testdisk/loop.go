package testdisk

import (
	"fmt"
	"os"
	"os/exec"
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
}

// Loop is an image attached to a loop device.
type Loop struct {
	Dev string // /dev/loopN

	t        testing.TB
	losetup  string
	detached bool
}

// AttachLoop attaches img to a free loop device, with the kernel's
// partition scan so that a partitioned image gets its partition devices,
// and detaches it when the test ends. It needs root: RequireRoot skips the
// test otherwise.
func AttachLoop(t testing.TB, img string, o LoopOptions) *Loop {
	t.Helper()
	RequireRoot(t, "attach a loop device")
	losetup := Tool(t, "losetup")
	args := []string{"--find", "--show", "--partscan"}
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
	out, err := exec.Command(losetup, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup %s: %v\n%s(in a container, loop devices need --privileged and the host's /dev)",
			strings.Join(args, " "), err, out)
	}
	l := &Loop{Dev: strings.TrimSpace(string(out)), t: t, losetup: losetup}
	t.Cleanup(l.Detach)
	return l
}

// Detach detaches the device now, for tests of a device that goes away;
// the cleanup then has nothing left to do.
func (l *Loop) Detach() {
	l.t.Helper()
	if l.detached {
		return
	}
	l.detached = true
	if out, err := exec.Command(l.losetup, "--detach", l.Dev).CombinedOutput(); err != nil {
		l.t.Errorf("losetup --detach %s: %v\n%s", l.Dev, err, out)
	}
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
