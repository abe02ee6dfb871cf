package testdisk

import (
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/mountinfo"
)

// mountAt returns the mount on dir, if there is one.
func mountAt(t *testing.T, dir string) (mountinfo.Mount, bool) {
	t.Helper()
	ms, err := mountinfo.Read("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.MountPoint == dir {
			return m, true
		}
	}
	return mountinfo.Mount{}, false
}

// TestMount mounts an ext4 image read-only through a loop device: the
// options reach mount(8), and the cleanup unmounts before it detaches.
func TestMount(t *testing.T) {
	RequireRoot(t, "mount a filesystem")
	img := TempSparse(t, "ext4.img", 16<<20)
	Run(t, Tool(t, "mkfs.ext4"), "-q", "-F", img)
	var dir string
	t.Run("mounted", func(t *testing.T) {
		l := AttachLoop(t, img, LoopOptions{})
		args := []string{"-o", "ro", "spare"}
		m := Mount(t, l.Dev, args[:2]...)
		dir = m.Dir
		if args[2] != "spare" {
			t.Errorf("Mount wrote into its caller's arguments: %q", args)
		}
		got, ok := mountAt(t, m.Dir)
		if !ok || got.Source != l.Dev || got.FSType != "ext4" || !slices.Contains(strings.Split(got.Options, ","), "ro") {
			t.Errorf("on %s: %+v (mounted %v), want %s read-only as ext4", m.Dir, got, ok, l.Dev)
		}
	})
	if m, ok := mountAt(t, dir); ok {
		t.Errorf("%s still mounted after the test: %+v", dir, m)
	}
	if out := Run(t, Tool(t, "losetup"), "--associated", img); out != "" {
		t.Errorf("still attached after the test: %s", out)
	}
}

// TestUnmount unmounts during the test, as tests do that check the disk
// the kernel wrote.
func TestUnmount(t *testing.T) {
	RequireRoot(t, "mount a filesystem")
	img := TempSparse(t, "ext4.img", 16<<20)
	Run(t, Tool(t, "mkfs.ext4"), "-q", "-F", img)
	m := Mount(t, img, "-o", "loop")
	if _, ok := mountAt(t, m.Dir); !ok {
		t.Fatalf("%s not mounted", m.Dir)
	}
	m.Unmount()
	if got, ok := mountAt(t, m.Dir); ok {
		t.Errorf("still mounted after Unmount: %+v", got)
	}
	m.Unmount() // the cleanup's call: nothing left to do, no error
}
