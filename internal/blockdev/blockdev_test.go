package blockdev

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/mountinfo"
	"github.com/plinth-os/plinth/internal/testdisk"
)

func TestMem(t *testing.T) {
	m := NewMem(4096, 0)
	if m.Size() != 4096 || m.SectorSize() != 512 || m.PhysicalSectorSize() != 512 {
		t.Errorf("NewMem(4096, 0): size %d, sectors %d/%d", m.Size(), m.SectorSize(), m.PhysicalSectorSize())
	}
	if n, err := m.WriteAt([]byte("abc"), 4093); n != 3 || err != nil {
		t.Errorf("WriteAt at the end: %d, %v", n, err)
	}
	if n, err := m.WriteAt([]byte("abcd"), 4093); n != 0 || err == nil {
		t.Errorf("WriteAt past the end: %d, %v", n, err)
	}
	if m.Bytes()[4095] != 'c' {
		t.Error("a failed write changed the device")
	}
	if _, err := m.WriteAt([]byte("x"), -1); err == nil {
		t.Error("WriteAt at -1 succeeded")
	}
	b := make([]byte, 4)
	if n, err := m.ReadAt(b, 4093); n != 3 || err != io.EOF || string(b[:3]) != "abc" {
		t.Errorf("ReadAt over the end: %d %q, %v", n, b, err)
	}
	if n, err := m.ReadAt(b, 4096); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end: %d, %v", n, err)
	}
	if _, err := m.ReadAt(b, -1); err == nil || err == io.EOF {
		t.Errorf("ReadAt at -1: %v", err)
	}
	if n, err := m.ReadAt(b, 0); n != 4 || err != nil {
		t.Errorf("ReadAt: %d, %v", n, err)
	}
	if NewMem(8192, 4096).SectorSize() != 4096 {
		t.Error("NewMem ignores the sector size")
	}
}

func TestOpenImage(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 1<<20)
	d, err := Open(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Path() != img || d.Size() != 1<<20 || d.SectorSize() != 512 || d.PhysicalSectorSize() != 512 || d.IsBlockDevice() || !d.Dev().IsZero() {
		t.Errorf("Open(%s) = path %s size %d sectors %d/%d block %v dev %v", img, d.Path(), d.Size(), d.SectorSize(), d.PhysicalSectorSize(), d.IsBlockDevice(), d.Dev())
	}
	if _, err := d.WriteAt([]byte("x"), 0); err == nil {
		t.Error("write to a read-only image succeeded")
	}
	d.Close()

	w, err := Open(img, Options{Write: true, SectorSize: 4096, Roots: newFakeSystem(t).roots})
	if err != nil {
		t.Fatal(err)
	}
	if w.SectorSize() != 4096 || w.PhysicalSectorSize() != 4096 {
		t.Errorf("image sector size %d/%d, want 4096", w.SectorSize(), w.PhysicalSectorSize())
	}
	if _, err := w.WriteAt([]byte("plinth"), 512); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 6)
	if _, err := w.ReadAt(got, 512); err != nil || string(got) != "plinth" {
		t.Errorf("read back %q, %v", got, err)
	}
	if fi, err := w.Stat(); err != nil || fi.Size() != 1<<20 || w.Fd() == 0 {
		t.Errorf("Stat: %v, %v", fi, err)
	}
	if err := w.Reread(Roots{}, nil, time.Second); err == nil || !strings.Contains(err.Error(), "not a block device") {
		t.Errorf("Reread of an image file: %v", err)
	}
	w.Close()

	for _, tc := range []struct {
		path string
		o    Options
		want string
	}{
		{img, Options{SectorSize: 520}, "sector size 520"},
		{img, Options{SectorSize: 8192}, "sector size 8192"},
		{filepath.Dir(img), Options{}, "neither a regular file nor a block device"},
		{filepath.Join(filepath.Dir(img), "missing"), Options{}, "no such file"},
	} {
		if _, err := Open(tc.path, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s, %+v): %v, want %q", tc.path, tc.o, err, tc.want)
		}
	}
}

func TestPartitions(t *testing.T) {
	s := newFakeSystem(t)
	s.disk("nvme0n1", mountinfo.Dev{Major: 259, Minor: 0},
		fakePart{1, "nvme0n1p1", mountinfo.Dev{Major: 259, Minor: 1}, 2048, 1048576},
		fakePart{2, "nvme0n1p2", mountinfo.Dev{Major: 259, Minor: 2}, 1050624, 4096})
	parts, err := Partitions(s.roots, "nvme0n1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Partition{
		{Name: "nvme0n1p1", Number: 1, Dev: mountinfo.Dev{Major: 259, Minor: 1}, Start: 1 << 20, Size: 512 << 20},
		{Name: "nvme0n1p2", Number: 2, Dev: mountinfo.Dev{Major: 259, Minor: 2}, Start: 1050624 * 512, Size: 2 << 20},
	}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("Partitions:\n got  %+v\n want %+v", parts, want)
	}
	p, err := PartitionByNumber(s.roots, "nvme0n1", 2)
	if err != nil || p.Name != "nvme0n1p2" || s.roots.Node(p.Name) != filepath.Join(s.roots.Dev, "nvme0n1p2") {
		t.Errorf("PartitionByNumber 2: %+v, %v", p, err)
	}
	if _, err := PartitionByNumber(s.roots, "nvme0n1", 3); err == nil {
		t.Error("PartitionByNumber found partition 3")
	}
	if _, err := Partitions(s.roots, "sdz"); err == nil {
		t.Error("Partitions of a missing disk succeeded")
	}
}

// The node's name is the kernel's (uevent DEVNAME), whatever the sysfs
// directory is called; a partition without one is an error, not a guess.
func TestPartitionsDevName(t *testing.T) {
	s := newFakeSystem(t)
	s.disk("mmcblk0", mountinfo.Dev{Major: 179, Minor: 0}, fakePart{1, "mmcblk0p1", mountinfo.Dev{Major: 179, Minor: 1}, 2048, 2048})
	s.write("sys", "block/mmcblk0/mmcblk0p1/uevent", "MAJOR=179\nMINOR=1\nDEVNAME=odd/name\nDEVTYPE=partition\n")
	if p, err := PartitionByNumber(s.roots, "mmcblk0", 1); err != nil || p.Name != "odd/name" {
		t.Errorf("PartitionByNumber: %+v, %v", p, err)
	}
	s.write("sys", "block/mmcblk0/mmcblk0p1/uevent", "MAJOR=179\nMINOR=1\nDEVTYPE=partition\n")
	if _, err := Partitions(s.roots, "mmcblk0"); err == nil || !strings.Contains(err.Error(), "no DEVNAME") {
		t.Errorf("Partitions without DEVNAME: %v", err)
	}
}

// sdaSystem is a disk sda (8:0) with partitions sda1 (8:1) and sda2 (8:2),
// and an unrelated sdb (8:16).
func sdaSystem(t *testing.T) *fakeSystem {
	s := newFakeSystem(t)
	s.disk("sda", mountinfo.Dev{Major: 8, Minor: 0},
		fakePart{1, "sda1", mountinfo.Dev{Major: 8, Minor: 1}, 2048, 2048},
		fakePart{2, "sda2", mountinfo.Dev{Major: 8, Minor: 2}, 4096, 2048})
	s.disk("sdb", mountinfo.Dev{Major: 8, Minor: 16})
	s.mount(mountinfo.Dev{Major: 0, Minor: 21}, "proc", "/proc")
	s.mount(mountinfo.Dev{Major: 8, Minor: 16}, "/dev/sdb", "/srv")
	s.swap("/swapfile")
	return s
}

func TestInUse(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeSystem)
		want  []Use
	}{
		{"unused", func(*fakeSystem) {}, nil},
		{"partition mounted", func(s *fakeSystem) { s.mount(mountinfo.Dev{Major: 8, Minor: 2}, "/dev/sda2", "/mnt/my data") },
			[]Use{{"/dev/sda2", Mounted, "/mnt/my data"}}},
		{"whole disk mounted", func(s *fakeSystem) { s.mount(mountinfo.Dev{Major: 8, Minor: 0}, "/dev/sda", "/x") },
			[]Use{{"/dev/sda", Mounted, "/x"}}},
		// btrfs reports an anonymous device number: the source counts.
		{"mounted, anonymous device number", func(s *fakeSystem) { s.mount(mountinfo.Dev{Major: 0, Minor: 45}, "/dev/sda1", "/b") },
			[]Use{{"/dev/sda1", Mounted, "/b"}}},
		{"swap", func(s *fakeSystem) { s.swap("/dev/sda1") }, []Use{{"/dev/sda1", Swap, ""}}},
		{"partition held", func(s *fakeSystem) { s.hold("block/sda/sda2", "dm-0") }, []Use{{"/dev/sda2", Held, "dm-0"}}},
		{"disk held", func(s *fakeSystem) { s.hold("block/sda", "md0") }, []Use{{"/dev/sda", Held, "md0"}}},
		{"all at once", func(s *fakeSystem) {
			s.hold("block/sda/sda1", "dm-1")
			s.mount(mountinfo.Dev{Major: 8, Minor: 2}, "/dev/sda2", "/m")
			s.swap("/dev/sda1")
		}, []Use{{"/dev/sda1", Held, "dm-1"}, {"/dev/sda2", Mounted, "/m"}, {"/dev/sda1", Swap, ""}}},
	}
	for _, tt := range tests {
		s := sdaSystem(t)
		tt.setup(s)
		got, err := InUse(s.roots, "sda")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: InUse = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestInUseErrors(t *testing.T) {
	s := sdaSystem(t)
	if err := os.Remove(filepath.Join(s.roots.Proc, "self", "mountinfo")); err != nil {
		t.Fatal(err)
	}
	if _, err := InUse(s.roots, "sda"); err == nil {
		t.Error("InUse without mountinfo succeeded: it cannot know")
	}
	s = sdaSystem(t)
	if err := os.Remove(filepath.Join(s.roots.Proc, "swaps")); err != nil {
		t.Fatal(err)
	}
	if uses, err := InUse(s.roots, "sda"); err != nil || len(uses) != 0 {
		t.Errorf("InUse without swap support: %v, %v", uses, err)
	}
}

func TestBusyError(t *testing.T) {
	err := error(&BusyError{Path: "/dev/sda", Uses: []Use{{"/dev/sda2", Mounted, "/m"}, {"/dev/sda1", Swap, ""}, {"/dev/sda", Held, "dm-0"}}})
	if !errors.Is(err, ErrBusy) || err.Error() != "blockdev: /dev/sda: device in use: /dev/sda2 is mounted on /m; /dev/sda1 is used as swap; /dev/sda is held by dm-0" {
		t.Errorf("BusyError: %v", err)
	}
	if err := error(&BusyError{Path: "/dev/sdb"}); !strings.Contains(err.Error(), "opened exclusively by another program") {
		t.Errorf("BusyError without uses: %v", err)
	}
}

// An image file is in use through a loop device backed by it, or as a
// swap file; writing it is refused with the users named.
func TestImageInUse(t *testing.T) {
	img := testdisk.TempSparse(t, "disk.img", 1<<20)
	s := newFakeSystem(t)
	s.disk("loop0", mountinfo.Dev{Major: 7, Minor: 0}, fakePart{1, "loop0p1", mountinfo.Dev{Major: 259, Minor: 7}, 2048, 100})
	s.disk("loop1", mountinfo.Dev{Major: 7, Minor: 1}) // attached to another file
	s.disk("loop2", mountinfo.Dev{Major: 7, Minor: 2}) // detached: no backing_file
	s.write("sys", "block/loop0/loop/backing_file", img+"\n")
	s.write("sys", "block/loop1/loop/backing_file", testdisk.TempSparse(t, "other.img", 1<<20)+"\n")
	s.mount(mountinfo.Dev{Major: 7, Minor: 1}, "/dev/loop1", "/other")
	s.mount(mountinfo.Dev{Major: 7, Minor: 2}, "/dev/loop2", "/detached")

	d, err := Open(img, Options{Write: true, Roots: s.roots})
	if err != nil {
		t.Fatalf("unused image: %v", err)
	}
	d.Close()

	s.mount(mountinfo.Dev{Major: 259, Minor: 7}, "/dev/loop0p1", "/in use")
	s.swap(img)
	_, err = Open(img, Options{Write: true, Roots: s.roots})
	var be *BusyError
	if !errors.As(err, &be) || !reflect.DeepEqual(be.Uses, []Use{{"/dev/loop0p1", Mounted, "/in use"}, {img, Swap, ""}}) {
		t.Fatalf("busy image: %v", err)
	}
	// Reading is fine.
	d, err = Open(img, Options{Roots: s.roots})
	if err != nil {
		t.Fatalf("read-only open of a busy image: %v", err)
	}
	d.Close()
}

func TestWaitPartitions(t *testing.T) {
	s := newFakeSystem(t)
	sda := mountinfo.Dev{Major: 8, Minor: 0}
	s.disk("sda", sda, fakePart{1, "sda1", mountinfo.Dev{Major: 8, Minor: 1}, 2048, 2048})
	want := []Extent{{Number: 1, Start: 1 << 20, Size: 1 << 20}}
	if err := waitPartitions(s.roots, sda, want, time.Second); err != nil {
		t.Errorf("partitions there: %v", err)
	}
	for _, tc := range []struct {
		want []Extent
		diff string
	}{
		{nil, "kernel still has old partition 1"},
		{[]Extent{{1, 1 << 20, 2 << 20}}, "kernel still has old partition 1"},
		{append(want, Extent{2, 2 << 20, 1 << 20}), "kernel does not show partition 2"},
	} {
		err := waitPartitions(s.roots, sda, tc.want, 50*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), tc.diff) {
			t.Errorf("waitPartitions(%v): %v, want %q", tc.want, err, tc.diff)
		}
	}
	// The node appears later than sysfs: the wait sees it.
	node := s.roots.Node("sda1")
	if err := os.Remove(node); err != nil {
		t.Fatal(err)
	}
	if err := waitPartitions(s.roots, sda, want, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), node+" missing") {
		t.Errorf("waitPartitions without the node: %v", err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		os.WriteFile(node, nil, 0o644)
	}()
	if err := waitPartitions(s.roots, sda, want, 10*time.Second); err != nil {
		t.Errorf("waitPartitions while the node appears: %v", err)
	}
}

func TestReadSwapsEscaped(t *testing.T) {
	s := newFakeSystem(t)
	s.swap(`/swap\040file`)
	got, err := readSwaps(s.roots)
	if err != nil || !reflect.DeepEqual(got, []string{"/swap file"}) {
		t.Errorf("readSwaps = %q, %v", got, err)
	}
}
