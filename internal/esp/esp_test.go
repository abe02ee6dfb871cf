package esp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
)

const (
	esp1 = "11111111-2222-4333-8444-555555555555"
	esp2 = "aaaaaaaa-2222-4333-8444-555555555555"
	data = "66666666-7777-4888-8999-aaaaaaaaaaaa"
)

func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s + "\x00")) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func TestParseLoaderPartUUID(t *testing.T) {
	tests := []struct {
		in      []byte
		want    string
		wantErr bool
	}{
		{utf16z(strings.ToUpper(esp1)), esp1, false},
		{utf16z(esp1), esp1, false},
		{utf16z(esp1)[:72], esp1, false}, // no NUL
		{append(utf16z(esp1), 'x'), esp1, false},
		{utf16z("not-a-guid"), "", true},
		{nil, "", true},
		{[]byte(esp1), "", true}, // ASCII, not UTF-16
	}
	for _, tt := range tests {
		got, err := ParseLoaderPartUUID(tt.in)
		want := guid.GUID{}
		if tt.want != "" {
			want = guid.MustParse(tt.want)
		}
		if got != want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLoaderPartUUID(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLoaderPartUUIDStore(t *testing.T) {
	s := efivar.NewMemStore()
	if _, err := LoaderPartUUID(s); !errors.Is(err, ErrNoLoaderVar) {
		t.Errorf("empty store: %v, want ErrNoLoaderVar", err)
	}
	if _, err := LoaderPartUUID(nil); !errors.Is(err, ErrNoLoaderVar) {
		t.Errorf("nil store: %v, want ErrNoLoaderVar", err)
	}
	s.Set(LoaderDevicePartUUIDVar, LoaderVendor(), 6, utf16z(strings.ToUpper(esp2)))
	if got, err := LoaderPartUUID(s); got != guid.MustParse(esp2) || err != nil {
		t.Errorf("LoaderPartUUID = %q, %v", got, err)
	}
}

// fakeMounter "mounts" a device by copying the files fs[device] into the
// target, and records what it was asked.
type fakeMounter struct {
	fs      map[string]map[string]string // device -> path -> content
	mounted map[string]string            // target -> device
	calls   []string
	fail    map[string]error
}

func (m *fakeMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	m.calls = append(m.calls, "mount "+filepath.Base(source)+" "+fstype)
	if err := m.fail[source]; err != nil {
		return err
	}
	if flags&mountFlags != mountFlags {
		return errors.New("ESP must be mounted read-only, nosuid, nodev, noexec")
	}
	if flags&unix.MS_RDONLY == 0 && flags&unix.MS_DIRSYNC == 0 {
		return errors.New("a writable ESP must be mounted dirsync: renames must be on the disk before the old clusters are freed")
	}
	for p, c := range m.fs[source] {
		full := filepath.Join(target, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(c), 0o644)
	}
	m.mounted[target] = source
	return nil
}

func (m *fakeMounter) Unmount(target string, flags int) error {
	m.calls = append(m.calls, "umount")
	entries, _ := os.ReadDir(target)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(target, e.Name()))
	}
	delete(m.mounted, target)
	return nil
}

func setup(t *testing.T) (partfindtest.System, *fakeMounter, Options) {
	s := partfindtest.Build(t,
		partfindtest.Disk{Name: "sda", Parts: []partfindtest.Part{{TypeCode: "EF00", UUID: esp2, SizeMiB: 8}}},
		partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{
			{TypeCode: "EF00", UUID: esp1, SizeMiB: 8},
			{TypeCode: "8300", UUID: data},
		}},
	)
	m := &fakeMounter{
		fs: map[string]map[string]string{
			s.Device("vda1"): {appconfig.RelPath: "{}"},
			s.Device("sda1"): {"EFI/BOOT/BOOTX64.EFI": "MZ"},
		},
		mounted: map[string]string{},
	}
	o := Options{SysRoot: s.Sys, DevRoot: s.Dev, Mounter: m, MountPoint: filepath.Join(t.TempDir(), "boot/efi"), Wait: 300 * time.Millisecond, Interval: 20 * time.Millisecond}
	return s, m, o
}

func TestMountByLoaderVar(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	s, m, o := setup(t)
	vars := efivar.NewMemStore()
	vars.Set(LoaderDevicePartUUIDVar, LoaderVendor(), 6, utf16z(strings.ToUpper(esp2)))
	o.Vars = vars
	o.Writable = true // the appliance's mount: the fake refuses it without dirsync
	r, err := Mount(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// sda1 is the ESP we booted from even though it has no config: no
	// fallback to another disk's config.
	if r.Partition.Device != s.Device("sda1") || !strings.Contains(r.How, "LoaderDevicePartUUID") {
		t.Errorf("Mount = %+v", r)
	}
	if r.ConfigPath != filepath.Join(o.MountPoint, "EFI/plinth/plinth.json") {
		t.Errorf("ConfigPath = %q", r.ConfigPath)
	}
	if m.mounted[o.MountPoint] != s.Device("sda1") {
		t.Errorf("mounted = %v", m.mounted)
	}
}

func TestMountFallback(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	tests := []struct {
		name    string
		vars    efivar.Store
		wantHow string
	}{
		{"no variable", efivar.NewMemStore(), "LoaderDevicePartUUID is not set"},
		{"no efi", nil, "no EFI variables"},
		{"stale variable", func() efivar.Store {
			v := efivar.NewMemStore()
			v.Set(LoaderDevicePartUUIDVar, LoaderVendor(), 6, utf16z("deadbeef-0000-4000-8000-000000000000"))
			return v
		}(), "which no disk has"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, m, o := setup(t)
			o.Vars = tt.vars
			r, err := Mount(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Partition.Device != s.Device("vda1") || !strings.Contains(r.How, tt.wantHow) {
				t.Errorf("Mount = %+v", r)
			}
			// sda1 was tried first (disk order), had no config, and was unmounted.
			if got := strings.Join(m.calls, ","); got != "mount sda1 vfat,umount,mount vda1 vfat" {
				t.Errorf("calls = %s", got)
			}
		})
	}
}

func TestMountNothing(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	_, m, o := setup(t)
	delete(m.fs, filepath.Join(o.DevRoot, "vda1"))
	m.fail = map[string]error{filepath.Join(o.DevRoot, "sda1"): errors.New("EINVAL")}
	_, err := Mount(context.Background(), o)
	if err == nil {
		t.Fatal("Mount succeeded with no config anywhere")
	}
	for _, w := range []string{`no EFI system partition holds \EFI\plinth\plinth.json`, "sda1", "EINVAL", "vda1: no"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if len(m.mounted) != 0 {
		t.Errorf("left mounted: %v", m.mounted)
	}
}

func TestMountNoESP(t *testing.T) {
	t.Parallel() // sgdisk sleeps 1 s per disk
	s := partfindtest.Build(t, partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{{TypeCode: "8300", UUID: data}}})
	o := Options{SysRoot: s.Sys, DevRoot: s.Dev, Mounter: &fakeMounter{mounted: map[string]string{}}, MountPoint: t.TempDir(), Wait: 100 * time.Millisecond, Interval: 20 * time.Millisecond}
	_, err := Mount(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "no EFI system partition found") {
		t.Errorf("Mount = %v", err)
	}
}
