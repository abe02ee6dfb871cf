package datapart

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/partfind"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/testdisk"
)

const (
	dataUUID = "66666666-7777-4888-8999-aaaaaaaaaaaa"
	fsUUID   = "01234567-89ab-4def-8123-456789abcdef"
)

// mkfs makes an ext4 image at path (created if needed) and applies
// debugfs commands to it.
func mkfs(t testing.TB, path string, mkfsArgs []string, debugfs ...string) {
	t.Helper()
	mk, debugfsBin := testdisk.Tool(t, "mkfs.ext4"), testdisk.Tool(t, "debugfs")
	if _, err := os.Stat(path); err != nil {
		f, _ := os.Create(path)
		f.Truncate(16 << 20)
		f.Close()
	}
	args := append([]string{"-q", "-F", "-L", "plinth-data", "-U", fsUUID}, mkfsArgs...)
	if out, err := exec.Command(mk, append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	for _, c := range debugfs {
		if out, err := exec.Command(debugfsBin, "-w", "-R", c, path).CombinedOutput(); err != nil {
			t.Fatalf("debugfs %s: %v\n%s", c, err, out)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		mkfsArgs  []string
		debugfs   []string
		wantErr   string // "" means mountable
		wantWarn  bool
		wantClean bool
	}{
		{name: "clean", wantClean: true},
		{name: "unclean with journal", debugfs: []string{"ssv state 0"}, wantWarn: true},
		{name: "needs recovery", debugfs: []string{"feature needs_recovery"}, wantWarn: true, wantClean: true},
		{name: "errors flag", debugfs: []string{"ssv state 3"}, wantErr: "records errors", wantClean: true},
		{name: "error count", debugfs: []string{"ssv error_count 4"}, wantErr: "records errors (4", wantClean: true},
		{name: "unclean no journal", mkfsArgs: []string{"-O", "^has_journal"}, debugfs: []string{"ssv state 0"}, wantErr: "not cleanly unmounted and has no journal"},
		{name: "clean no journal", mkfsArgs: []string{"-O", "^has_journal"}, wantClean: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "fs.img")
			mkfs(t, img, tt.mkfsArgs, tt.debugfs...)
			rep, err := CheckDevice(img)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("CheckDevice: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckDevice error = %v, want %q", err, tt.wantErr)
			}
			if rep.UUID != fsUUID || rep.Label != "plinth-data" || rep.Clean != tt.wantClean || (len(rep.Warnings) > 0) != tt.wantWarn {
				t.Errorf("report = %+v", rep)
			}
		})
	}
}

func TestCheckNotExt4(t *testing.T) {
	img := filepath.Join(t.TempDir(), "zero.img")
	os.WriteFile(img, make([]byte, 4096), 0o644)
	if _, err := CheckDevice(img); err == nil || !strings.Contains(err.Error(), "not a usable ext4 filesystem") {
		t.Errorf("zeros: %v", err)
	}
	short := filepath.Join(t.TempDir(), "short.img")
	os.WriteFile(short, make([]byte, 1500), 0o644)
	if _, err := CheckDevice(short); err == nil || !strings.Contains(err.Error(), "read superblock") {
		t.Errorf("short: %v", err)
	}
	if _, err := CheckDevice(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing device checked fine")
	}
}

func parts(specs ...string) []partfind.Partition {
	// spec: disk/name/uuid/label
	var ps []partfind.Partition
	for _, s := range specs {
		f := strings.Split(s, "/")
		ps = append(ps, partfind.Partition{Disk: f[0], Name: f[1], PartUUID: guid.MustParse(f[2]), Label: f[3]})
	}
	return ps
}

func TestFind(t *testing.T) {
	const u1, u2 = "11111111-0000-4000-8000-000000000000", "22222222-0000-4000-8000-000000000000"
	tests := []struct {
		name     string
		parts    []partfind.Partition
		data     appconfig.Data
		bootDisk string
		want     string // partition name, or "error: substring"
		wantHow  string
	}{
		{"uuid", parts("sda/sda1/"+u1+"/x", "vda/vda2/"+u2+"/data"), appconfig.Data{PartUUID: guid.MustParse(strings.ToUpper(u2)), Label: "x"}, "", "vda2", "PARTUUID " + u2},
		{"label fallback", parts("vda/vda2/" + u2 + "/data"), appconfig.Data{PartUUID: guid.MustParse(u1), Label: "data"}, "", "vda2", "no partition has PARTUUID " + u1 + "; label \"data\""},
		{"label only", parts("vda/vda2/" + u2 + "/data"), appconfig.Data{Label: "data"}, "", "vda2", `label "data"`},
		{"none", parts("vda/vda2/" + u2 + "/data"), appconfig.Data{PartUUID: guid.MustParse(u1), Label: "other"}, "", `error: data partition not found: no partition has PARTUUID ` + u1 + `, no partition is labelled "other"; partitions seen: vda2`, ""},
		{"duplicate label, boot disk wins", parts("sda/sda2/"+u1+"/data", "vda/vda2/"+u2+"/data"), appconfig.Data{Label: "data"}, "vda", "vda2", ""},
		{"duplicate label, no boot disk", parts("sda/sda2/"+u1+"/data", "vda/vda2/"+u2+"/data"), appconfig.Data{Label: "data"}, "", `error: 2 partitions match label "data"`, ""},
		{"cloned uuid, boot disk wins", parts("sda/sda2/"+u1+"/data", "vda/vda2/"+u1+"/data"), appconfig.Data{PartUUID: guid.MustParse(u1)}, "sda", "sda2", ""},
		{"cloned uuid, elsewhere", parts("sda/sda2/"+u1+"/data", "vda/vda2/"+u1+"/data"), appconfig.Data{PartUUID: guid.MustParse(u1)}, "nvme0n1", "error: 2 partitions match PARTUUID", ""},
	}
	for _, tt := range tests {
		p, how, err := Find(tt.parts, tt.data, tt.bootDisk)
		if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, want)
			}
			continue
		}
		if err != nil || p.Name != tt.want || (tt.wantHow != "" && how != tt.wantHow) {
			t.Errorf("%s: Find = %s, %q, %v; want %s, %q", tt.name, p.Name, how, err, tt.want, tt.wantHow)
		}
	}
}

type fakeMounter struct {
	calls []string
	err   error
}

func (m *fakeMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	m.calls = append(m.calls, filepath.Base(source)+" "+fstype+" "+data)
	return m.err
}

func TestMount(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	s := partfindtest.Build(t, partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{
		{TypeCode: "EF00", SizeMiB: 8},
		{TypeCode: "8300", UUID: dataUUID, Label: "plinth-data"},
	}})
	// The partition "device" is a file in the fake /dev: put an ext4 in it.
	mkfs(t, s.Device("vda2"), nil)
	m := &fakeMounter{}
	o := Options{SysRoot: s.Sys, DevRoot: s.Dev, Mounter: m, MountPoint: filepath.Join(t.TempDir(), "data"), Wait: 200 * time.Millisecond, Interval: 20 * time.Millisecond}
	res, err := Mount(context.Background(), o, appconfig.Data{PartUUID: guid.MustParse(dataUUID), FSType: "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partition.Name != "vda2" || res.Report.UUID != fsUUID {
		t.Errorf("Mount = %+v", res)
	}
	if got := strings.Join(m.calls, ","); got != "vda2 ext4 errors=remount-ro" {
		t.Errorf("mount calls = %s", got)
	}
	for _, d := range Subdirs() {
		if st, err := os.Stat(filepath.Join(o.MountPoint, d)); err != nil || !st.IsDir() {
			t.Errorf("%s not created: %v", d, err)
		}
	}

	// An earlier scan that holds the partition is used as it is: here
	// the disks are gone from sysfs, so a scan would find nothing.
	parts, err := partfind.Scan(s.Sys, s.Dev)
	if err != nil {
		t.Fatal(err)
	}
	known := o
	known.Known, known.SysRoot = parts, t.TempDir()
	if res, err := Mount(context.Background(), known, appconfig.Data{PartUUID: guid.MustParse(dataUUID), FSType: "ext4"}); err != nil || res.Partition.Name != "vda2" {
		t.Errorf("with a known scan: %+v, %v", res, err)
	}
	// One without it is not enough: the disks are scanned.
	known = o
	known.Known = parts[:1]
	if res, err := Mount(context.Background(), known, appconfig.Data{PartUUID: guid.MustParse(dataUUID), FSType: "ext4"}); err != nil || res.Partition.Name != "vda2" {
		t.Errorf("with a scan lacking it: %+v, %v", res, err)
	}

	// Missing partition: a clear error after the wait, no mount.
	m.calls = nil
	_, err = Mount(context.Background(), o, appconfig.Data{PartUUID: guid.MustParse("00000000-0000-4000-8000-000000000001"), FSType: "ext4"})
	if !errors.Is(err, ErrNotFound) || len(m.calls) != 0 {
		t.Errorf("missing partition: %v, calls %v", err, m.calls)
	}

	// Mount failure is reported with the device.
	m.err = errors.New("EBUSY")
	if _, err := Mount(context.Background(), o, appconfig.Data{Label: "plinth-data", FSType: "ext4"}); err == nil || !strings.Contains(err.Error(), "vda2") || !strings.Contains(err.Error(), "EBUSY") {
		t.Errorf("mount failure: %v", err)
	}

	// A filesystem with errors is not mounted.
	m.err, m.calls = nil, nil
	mkfs(t, s.Device("vda2"), nil, "ssv state 3")
	if _, err := Mount(context.Background(), o, appconfig.Data{PartUUID: guid.MustParse(dataUUID), FSType: "ext4"}); !errors.Is(err, ErrUnusable) || len(m.calls) != 0 {
		t.Errorf("fs with errors: %v, calls %v", err, m.calls)
	}
}
