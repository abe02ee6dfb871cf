package partfind

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
)

const (
	espUUID  = "11111111-2222-4333-8444-555555555555"
	dataUUID = "66666666-7777-4888-8999-aaaaaaaaaaaa"
)

// fakeSystem: vda holds ESP + data, nvme0n1 is blank, sr0 has no node.
func fakeSystem(t *testing.T) partfindtest.System {
	s := partfindtest.Build(t,
		partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{
			{TypeCode: "EF00", UUID: espUUID, Label: "EFI system", SizeMiB: 16},
			{TypeCode: "8300", UUID: dataUUID, Label: "plinth-data"},
		}},
		partfindtest.Disk{Name: "nvme0n1", SizeMiB: 1},
	)
	os.MkdirAll(filepath.Join(s.Sys, "block", "sr0"), 0o755)
	// An empty CD drive: Linux gives it 0x1fffff sectors.
	os.WriteFile(filepath.Join(s.Sys, "block", "sr0", "size"), []byte("2097151\n"), 0o644)
	return s
}

func TestScan(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	s := fakeSystem(t)
	parts, err := Scan(s.Sys, s.Dev)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(parts) != 2 {
		t.Fatalf("Scan found %d partitions, want 2: %+v", len(parts), parts)
	}
	want := Partition{Disk: "vda", Name: "vda2", Device: s.Device("vda2"), Number: 2, PartUUID: guid.MustParse(dataUUID), Type: gpt.TypeLinuxFS, Label: "plinth-data"}
	if parts[1] != want {
		t.Errorf("partition 2 = %+v, want %+v", parts[1], want)
	}
	if !parts[0].IsESP() || parts[1].IsESP() {
		t.Errorf("IsESP wrong: %+v", parts)
	}

	tests := []struct {
		name string
		got  []Partition
		want string // Name of the single match, "" for none
	}{
		{"uuid upper", ByPartUUID(parts, guid.MustParse(strings.ToUpper(dataUUID))), "vda2"},
		{"uuid none", ByPartUUID(parts, guid.MustParse("00000000-0000-0000-0000-000000000001")), ""},
		{"label", ByLabel(parts, "plinth-data"), "vda2"},
		{"label case matters", ByLabel(parts, "Plinth-Data"), ""},
		{"esp", ESPs(parts), "vda1"},
	}
	for _, tt := range tests {
		switch {
		case tt.want == "" && len(tt.got) != 0:
			t.Errorf("%s: got %+v, want none", tt.name, tt.got)
		case tt.want != "" && (len(tt.got) != 1 || tt.got[0].Name != tt.want):
			t.Errorf("%s: got %+v, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestScanNVMeNamesAndMissingDevice(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	s := partfindtest.Build(t, partfindtest.Disk{Name: "nvme0n1", Parts: []partfindtest.Part{
		{TypeCode: "EF00", UUID: espUUID, SizeMiB: 8},
		{TypeCode: "8300", UUID: dataUUID, NoDevice: true},
	}})
	parts, err := Scan(s.Sys, s.Dev)
	if err != nil || len(parts) != 1 || parts[0].Name != "nvme0n1p1" {
		t.Errorf("Scan = %+v, %v; want only nvme0n1p1", parts, err)
	}
}

func TestScanNoSysfs(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	if _, err := Scan(t.TempDir(), t.TempDir()); err == nil {
		t.Error("Scan without sysfs/block succeeded")
	}
}

func TestWaiter(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	s := fakeSystem(t)
	// The data partition's device appears late, as USB disks do.
	p := filepath.Join(s.Sys, "block", "vda", "vda2")
	os.Rename(p, p+".hidden")
	go func() {
		time.Sleep(150 * time.Millisecond)
		os.Rename(p+".hidden", p)
	}()
	w := Waiter{SysRoot: s.Sys, DevRoot: s.Dev, Interval: 20 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	parts, err := w.Until(ctx, func(ps []Partition) bool { return len(ByPartUUID(ps, guid.MustParse(dataUUID))) > 0 })
	if err != nil || len(ByPartUUID(parts, guid.MustParse(dataUUID))) != 1 {
		t.Fatalf("Until = %+v, %v", parts, err)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = w.Until(ctx2, func([]Partition) bool { return false })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Until past deadline: err = %v", err)
	}
}

// OnDisk names the partition's node as the kernel does for each driver
// (sysfs uevent), and finds it by the number the GPT gives.
func TestOnDisk(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	parts := []partfindtest.Part{
		{TypeCode: "EF00", UUID: espUUID, SizeMiB: 8},
		{TypeCode: "8300", UUID: dataUUID},
	}
	s := partfindtest.Build(t,
		partfindtest.Disk{Name: "sda", Parts: parts},
		partfindtest.Disk{Name: "nvme0n1", Parts: parts},
		partfindtest.Disk{Name: "mmcblk0", Parts: parts},
		partfindtest.Disk{Name: "vdb", Parts: []partfindtest.Part{{TypeCode: "8300", UUID: dataUUID, NoDevice: true}}},
	)
	for disk, want := range map[string]string{"sda": "sda2", "nvme0n1": "nvme0n1p2", "mmcblk0": "mmcblk0p2"} {
		p, err := OnDisk(s.Sys, s.Dev, disk, guid.MustParse(dataUUID))
		if err != nil || p.Name != want || p.Device != s.Device(want) || p.Number != 2 {
			t.Errorf("OnDisk(%s) = %+v, %v; want %s", disk, p, err, want)
		}
	}
	if _, err := OnDisk(s.Sys, s.Dev, "sda", guid.MustParse("00000000-0000-4000-8000-000000000001")); err == nil {
		t.Error("OnDisk found a PARTUUID the disk does not have")
	}
	if _, err := OnDisk(s.Sys, s.Dev, "vdb", guid.MustParse(dataUUID)); err == nil {
		t.Error("OnDisk found a partition the kernel has no device for")
	}
	// The fake sysfs places the partitions where sgdisk put them.
	d, err := blockdev.Open(s.Device("sda"), blockdev.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tb, err := gpt.Read(d, d.Size(), d.SectorSize())
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := blockdev.Partitions(blockdev.Roots{Sys: s.Sys, Dev: s.Dev}, "sda")
	if err != nil || len(kernel) != len(tb.Partitions) {
		t.Fatalf("sysfs partitions %+v, %v", kernel, err)
	}
	for i, k := range kernel {
		p := tb.Partitions[i]
		if k.Start != int64(p.FirstLBA)*512 || k.Size != int64(p.Sectors())*512 {
			t.Errorf("sysfs has partition %d at %d+%d, the GPT at sectors %d-%d", k.Number, k.Start, k.Size, p.FirstLBA, p.LastLBA)
		}
	}
}
