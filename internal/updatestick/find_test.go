package updatestick

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/vfat"
	"golang.org/x/sys/unix"
)

func TestFind(t *testing.T) {
	t.Parallel()
	s := machine(t)
	tests := []struct {
		name     string
		bootDisk string
		want     []string // device names
	}{
		{name: "booted from vda", bootDisk: "vda", want: []string{"sdb1", "sdc"}},
		// The same machine booted from elsewhere: vda2 is found, so the
		// case above shows that the boot disk is left alone, not that
		// vda2 is unreadable.
		{name: "booted from another disk", bootDisk: "nvme0n1", want: []string{"sdb1", "sdc", "vda2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vols, err := Find(Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: tt.bootDisk})
			if got := devices(s, vols); !slices.Equal(got, tt.want) {
				t.Errorf("Find = %v, want %v", got, tt.want)
			}
			if err == nil {
				t.Fatal("Find reported nothing about sdd (lowercase label) and sdf (exFAT)")
			}
			for _, want := range []string{
				s.Device("sdd") + ` (unknown model, 67.1 MB (scsi, sdd), whole disk) is labelled "plinthupd": an update stick must be labelled PLINTHUPD, in capital letters`,
				s.Device("sdf") + " (unknown model, 67.1 MB (scsi, sdf), whole disk) is an exFAT filesystem labelled PLINTHUPD, which the appliance cannot read: format the stick as FAT32",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Find error\n%v\ndoes not contain\n%s", err, want)
				}
			}
			for _, name := range []string{"sde", "sdg", "sdh", "sr0", "sdb2", "vda"} {
				if strings.Contains(err.Error(), s.Device(name)+" ") {
					t.Errorf("Find error %v names %s", err, name)
				}
			}
		})
	}
}

func TestFindVolume(t *testing.T) {
	t.Parallel()
	s := machine(t)
	vols, _ := Find(Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"})
	if len(vols) != 2 {
		t.Fatalf("Find = %+v, want sdb1 and sdc", vols)
	}
	want := []Volume{
		// partfindtest numbers disks' majors from 240 in the order given.
		{Device: s.Device("sdb1"), Disk: "sdb", Serial: "1234-ABCD", Describe: "unknown model, 67.1 MB (scsi, sdb), partition sdb1", ID: "sdb1 241:1 seq - vol 1234-ABCD"},
		{Device: s.Device("sdc"), Disk: "sdc", Serial: "00C0-FFEE", Describe: "unknown model, 67.1 MB (scsi, sdc), whole disk", ID: "sdc 242:0 seq - vol 00C0-FFEE"},
	}
	for i := range want {
		if vols[i] != want[i] {
			t.Errorf("Find[%d] = %+v, want %+v", i, vols[i], want[i])
		}
	}
	writeSys(t, s, "block/sdb/diskseq", "17")
	vols, _ = Find(Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"})
	if got, want := vols[0].ID, "sdb1 241:1 seq 17 vol 1234-ABCD"; got != want {
		t.Errorf("with diskseq: ID = %q, want %q", got, want)
	}
}

func TestFindErrors(t *testing.T) {
	t.Parallel()
	s := machine(t)
	if _, err := Find(Options{SysRoot: s.Sys, DevRoot: s.Dev}); err == nil || !strings.Contains(err.Error(), "boot disk is not known") {
		t.Errorf("Find without a boot disk: %v", err)
	}
	if _, err := Find(Options{SysRoot: filepath.Join(t.TempDir(), "none"), DevRoot: s.Dev, BootDisk: "vda"}); err == nil {
		t.Error("Find without sysfs succeeded")
	}
}

// breakRoot frees the first cluster of a FAT32 root directory, so that
// the boot sector parses but the root directory (and its label entry)
// cannot be read.
func breakRoot(t *testing.T, img string) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 512)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	bs, err := vfat.ParseBootSector(b)
	if err != nil || bs.FATType != 32 {
		t.Fatalf("breakRoot: %v, FAT%d", err, bs.FATType)
	}
	at := int64(bs.ReservedSectors*bs.BytesPerSector) + 4*int64(bs.RootCluster)
	if _, err := f.WriteAt(make([]byte, 4), at); err != nil {
		t.Fatal(err)
	}
}

func TestFindUnreadableRoot(t *testing.T) {
	t.Parallel()
	s := machine(t)
	breakRoot(t, s.Device("sdc"))
	vols, err := Find(Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"})
	if got := devices(s, vols); !slices.Equal(got, []string{"sdb1"}) {
		t.Errorf("Find = %v, want [sdb1]", got)
	}
	if err == nil || !strings.Contains(err.Error(), s.Device("sdc")+" (unknown model, 67.1 MB (scsi, sdc), whole disk): the boot sector says PLINTHUPD but the root directory cannot be read") {
		t.Errorf("Find error = %v, want one about sdc's root directory", err)
	}
}

func TestIsLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		label string
		want  bool
	}{
		{"PLINTHUPD", true},
		{"PLINTHUPD  ", true}, // FAT's padding
		{"plinthupd", false},
		{"PlinthUpd", false},
		{"PLINTHUPD2", false},
		{"PLINTHUP", false},
		{" PLINTHUPD", false},
		{"PLINTHCFG", false},
		{"NO NAME", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsLabel(tt.label); got != tt.want {
			t.Errorf("IsLabel(%q) = %v, want %v", tt.label, got, tt.want)
		}
	}
}

// fakeMounter records mounts and answers unmounts with errs in turn.
type fakeMounter struct {
	mounts   []string
	unmounts []int // flags
	mountErr error
	errs     []error
}

func (m *fakeMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	m.mounts = append(m.mounts, strings.Join([]string{source, target, fstype, flagNames(flags), data}, " "))
	return m.mountErr
}

func (m *fakeMounter) Unmount(target string, flags int) error {
	m.unmounts = append(m.unmounts, flags)
	if len(m.errs) == 0 {
		return nil
	}
	err := m.errs[0]
	m.errs = m.errs[1:]
	return err
}

func flagNames(f uintptr) string {
	var names []string
	for _, n := range []struct {
		bit  uintptr
		name string
	}{{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"}, {unix.MS_NOEXEC, "noexec"}} {
		if f&n.bit != 0 {
			names = append(names, n.name)
			f &^= n.bit
		}
	}
	if f != 0 {
		names = append(names, "other")
	}
	return strings.Join(names, ",")
}

func TestMount(t *testing.T) {
	t.Parallel()
	s := machine(t)
	fm := &fakeMounter{}
	o := Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda", Mounter: fm}
	vols, _ := Find(o)
	dir := filepath.Join(t.TempDir(), "run", "stick")
	m, err := Mount(o, vols[1], dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{s.Device("sdc") + " " + dir + " vfat ro,nosuid,nodev,noexec "}; !slices.Equal(fm.mounts, want) {
		t.Errorf("mounts = %q, want %q", fm.mounts, want)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("mount point not created: %v", err)
	}
	if m.Dir != dir || m.Volume != vols[1] {
		t.Errorf("Mounted = %+v", m)
	}

	tests := []struct {
		name    string
		errs    []error
		want    []int // flags of the unmount calls
		wantErr string
	}{
		{name: "plain", want: []int{0}},
		{name: "busy", errs: []error{unix.EBUSY}, want: []int{0, unix.MNT_DETACH}},
		{name: "busy and failing", errs: []error{unix.EBUSY, unix.EINVAL}, want: []int{0, unix.MNT_DETACH}, wantErr: "updatestick: unmount " + dir + " (" + s.Device("sdc") + "): invalid argument"},
		{name: "not mounted", errs: []error{unix.EINVAL}, want: []int{0}, wantErr: "invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm.unmounts, fm.errs = nil, tt.errs
			err := m.Unmount()
			if !slices.Equal(fm.unmounts, tt.want) {
				t.Errorf("unmount flags = %v, want %v", fm.unmounts, tt.want)
			}
			if (err != nil) != (tt.wantErr != "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Unmount = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMountRefuses(t *testing.T) {
	t.Parallel()
	s := machine(t)
	o := Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda"}
	vols, _ := Find(o)
	sdb1, sdc := vols[0], vols[1]
	formatFAT(t, s.Device("sdc"), 0, 32, Label, 0xD1FF, nil) // another stick in the same reader
	if err := os.Remove(s.Device("sdb1")); err != nil {
		t.Fatal(err)
	}
	bootVols, _ := Find(Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "nvme0n1"})
	vda2 := bootVols[len(bootVols)-1]

	tests := []struct {
		name    string
		o       Options
		v       Volume
		wantErr string
	}{
		{name: "swapped", v: sdc, wantErr: "now holds another PLINTHUPD volume (serial 0000-D1FF, not 00C0-FFEE): was the stick swapped?"},
		{name: "removed", v: sdb1, wantErr: "no longer holds a FAT volume labelled PLINTHUPD: was the stick removed?"},
		{name: "boot disk", v: vda2, wantErr: "is on the boot disk"},
		{name: "boot disk unknown", o: Options{Mounter: &fakeMounter{}}, v: sdc, wantErr: "boot disk is not known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm := &fakeMounter{}
			o := tt.o
			if o.Mounter == nil {
				o = Options{SysRoot: s.Sys, DevRoot: s.Dev, BootDisk: "vda", Mounter: fm}
			}
			_, err := Mount(o, tt.v, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Mount = %v, want an error containing %q", err, tt.wantErr)
			}
			if len(fm.mounts) > 0 {
				t.Errorf("mounted %v", fm.mounts)
			}
		})
	}

	fm := &fakeMounter{mountErr: unix.ENODEV}
	vols, _ = Find(o)
	if _, err := Mount(Options{BootDisk: "vda", Mounter: fm}, vols[0], t.TempDir()); !errors.Is(err, unix.ENODEV) || !strings.Contains(err.Error(), "updatestick: mount "+s.Device("sdc")) {
		t.Errorf("Mount with a failing mounter = %v", err)
	}
}
