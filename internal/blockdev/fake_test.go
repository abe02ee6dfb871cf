package blockdev

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/mountinfo"
)

// fakeSystem is a sysfs, /dev and /proc in temporary directories, laid
// out as Linux 6.1 does: /sys/block/<disk> with partition children, each
// with dev, uevent, start, size and holders; /sys/dev/block/M:m links.
type fakeSystem struct {
	t      *testing.T
	roots  Roots
	mounts []string
	swaps  []string
}

func newFakeSystem(t *testing.T) *fakeSystem {
	s := &fakeSystem{t: t, roots: Roots{Sys: t.TempDir(), Dev: t.TempDir(), Proc: t.TempDir()}}
	s.write("proc", "self/mountinfo", "")
	return s
}

// fakePart is a partition: number, kernel name, device number, start and
// size in 512-byte units.
type fakePart struct {
	number      int
	name        string
	dev         mountinfo.Dev
	start, size int64
}

// disk adds a disk and its partitions, with nodes in /dev.
func (s *fakeSystem) disk(name string, dev mountinfo.Dev, parts ...fakePart) {
	dir := filepath.Join("block", name)
	s.device(dir, name, dev, "disk")
	for _, p := range parts {
		sub := filepath.Join(dir, p.name)
		s.device(sub, p.name, p.dev, "partition")
		s.write("sys", filepath.Join(sub, "partition"), fmt.Sprintf("%d\n", p.number))
		s.write("sys", filepath.Join(sub, "start"), fmt.Sprintf("%d\n", p.start))
		s.write("sys", filepath.Join(sub, "size"), fmt.Sprintf("%d\n", p.size))
	}
}

func (s *fakeSystem) device(dir, name string, dev mountinfo.Dev, typ string) {
	s.write("sys", filepath.Join(dir, "dev"), dev.String()+"\n")
	s.write("sys", filepath.Join(dir, "uevent"), fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=%s\n", dev.Major, dev.Minor, name, typ))
	if err := os.MkdirAll(filepath.Join(s.roots.Sys, dir, "holders"), 0o755); err != nil {
		s.t.Fatal(err)
	}
	link := filepath.Join(s.roots.Sys, "dev", "block", dev.String())
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(s.roots.Sys, dir), link); err != nil {
		s.t.Fatal(err)
	}
	s.write("dev", name, "")
}

// mount adds a mountinfo line, escaping spaces as the kernel does.
func (s *fakeSystem) mount(dev mountinfo.Dev, source, mountPoint string) {
	esc := strings.NewReplacer(" ", `\040`).Replace
	s.mounts = append(s.mounts, fmt.Sprintf("%d 1 %s / %s rw - ext4 %s rw", 100+len(s.mounts), dev, esc(mountPoint), esc(source)))
	s.write("proc", "self/mountinfo", strings.Join(s.mounts, "\n")+"\n")
}

// swap adds a /proc/swaps line.
func (s *fakeSystem) swap(path string) {
	s.swaps = append(s.swaps, path+"\tpartition\t1048572\t0\t-2")
	s.write("proc", "swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"+strings.Join(s.swaps, "\n")+"\n")
}

// hold makes holder a holder of the device in sysfs directory dir.
func (s *fakeSystem) hold(dir, holder string) {
	if err := os.MkdirAll(filepath.Join(s.roots.Sys, dir, "holders", holder), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

func (s *fakeSystem) write(tree, rel, content string) {
	s.t.Helper()
	root := map[string]string{"sys": s.roots.Sys, "dev": s.roots.Dev, "proc": s.roots.Proc}[tree]
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}
