package updatestick

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// watchMachine: vda is the boot disk with a PLINTHUPD partition, sdb a
// stick with diskseq 5.
func watchMachine(t *testing.T) partfindtest.System {
	t.Helper()
	s := partfindtest.Build(t,
		partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{{TypeCode: "0700"}}},
		partfindtest.Disk{Name: "sdb", SizeMiB: 8},
	)
	formatFAT(t, s.Device("vda1"), 8<<20, 0, Label, 0, nil)
	formatFAT(t, s.Device("sdb"), 0, 0, Label, 0x5D5D, nil)
	writeSys(t, s, "block/sdb/diskseq", "5")
	return s
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func TestPoll(t *testing.T) {
	t.Parallel()
	s := watchMachine(t)
	node, sysDir := s.Device("sdb"), filepath.Join(s.Sys, "block", "sdb")
	away := t.TempDir()
	steps := []struct {
		name   string
		change func()
		want   []string
	}{
		{name: "present at the start", want: []string{"sdb"}},
		{name: "still there"},
		{name: "node unreadable for a moment", change: func() { rename(t, node, filepath.Join(away, "sdb")) }},
		{name: "readable again", change: func() { rename(t, filepath.Join(away, "sdb"), node) }},
		{name: "removed", change: func() { rename(t, sysDir, filepath.Join(away, "sys-sdb")) }},
		{name: "plugged in again", change: func() { rename(t, filepath.Join(away, "sys-sdb"), sysDir) }, want: []string{"sdb"}},
		{name: "replugged between two polls", change: func() { writeSys(t, s, "block/sdb/diskseq", "6") }, want: []string{"sdb"}},
		{name: "another stick in the same reader", change: func() { formatFAT(t, node, 0, 0, Label, 0x6E6E, nil) }, want: []string{"sdb"}},
		{name: "relabelled", change: func() { formatFAT(t, node, 0, 0, "BACKUP", 0x6E6E, nil) }},
		{name: "labelled again", change: func() { formatFAT(t, node, 0, 0, Label, 0x6E6E, nil) }, want: []string{"sdb"}},
		{name: "medium gone", change: func() { writeSys(t, s, "block/sdb/size", "0") }},
		{name: "medium back", change: func() { writeSys(t, s, "block/sdb/size", "16384") }, want: []string{"sdb"}},
	}
	w := NewWatcher(Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"})
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		vols, err := w.Poll()
		if err != nil {
			t.Errorf("%s: Poll: %v", st.name, err)
		}
		if got := devices(s, vols); !slices.Equal(got, st.want) {
			t.Errorf("%s: Poll = %v, want %v", st.name, got, st.want)
		}
	}
}

func TestPollWithoutSysfs(t *testing.T) {
	t.Parallel()
	s := watchMachine(t)
	o := Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"}
	w := NewWatcher(o)
	if vols, _ := w.Poll(); len(vols) != 1 {
		t.Fatalf("Poll = %v, want sdb", vols)
	}
	// A scan that cannot list disks at all says nothing about the stick.
	w.o.SysRoot = filepath.Join(t.TempDir(), "none")
	if _, err := w.Poll(); err == nil {
		t.Error("Poll without sysfs succeeded")
	}
	w.o = o
	if vols, err := w.Poll(); len(vols) != 0 || err != nil {
		t.Errorf("Poll after a failed scan = %v, %v, want nothing new", vols, err)
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	s := watchMachine(t)
	// A stick that every scan complains about.
	writeSys(t, s, "block/sdc/size", "16384")
	formatFAT(t, s.Device("sdc"), 8<<20, 0, "", 0, nil)
	testdisk.Run(t, testdisk.Tool(t, "mkfs.fat"), "-n", "plinthupd", s.Device("sdc"))

	ctx, cancel := context.WithCancel(context.Background())
	// The callbacks never block: a Watch that calls them too often must
	// fail the test, not hang it.
	found := make(chan Volume, 1)
	var extra, problems atomic.Int32
	var problem atomic.Value
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"}, time.Millisecond,
			func(v Volume) {
				select {
				case found <- v:
				default:
					extra.Add(1)
				}
			},
			func(err error) { problems.Add(1); problem.Store(err) })
	}()
	select {
	case v := <-found:
		if v.Device != s.Device("sdb") {
			t.Errorf("found %+v, want sdb", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch found nothing")
	}
	time.Sleep(100 * time.Millisecond) // about a hundred more scans
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch = %v, want context.Canceled", err)
	}
	if n := len(found) + int(extra.Load()); n != 0 {
		t.Errorf("sdb reported %d more times", n)
	}
	if n := problems.Load(); n != 1 {
		t.Fatalf("%d problems reported, want the lowercase label once", n)
	}
	if err := problem.Load().(error); !strings.Contains(err.Error(), `is labelled "plinthupd"`) {
		t.Errorf("problem: %v", err)
	}
}

func TestWatchWithoutBootDisk(t *testing.T) {
	t.Parallel()
	err := Watch(context.Background(), Options{}, 0, func(Volume) { t.Error("found") }, nil)
	if err == nil || !strings.Contains(err.Error(), "boot disk is not known") {
		t.Errorf("Watch = %v", err)
	}
}
