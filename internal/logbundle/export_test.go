package logbundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/sys/unix"

	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

// fakeDisk is a disk of the fake machine.
type fakeDisk struct {
	name      string
	usb       bool // its sysfs device sits under a USB host controller
	removable bool
	ro        bool
	model     string
	whole     string   // what the whole disk holds: "fat", "ext4" or "" (zeros)
	parts     []string // what each partition holds, likewise
}

// fakeMachine builds a sysfs tree and a /dev whose nodes are image files.
// As in the kernel, /sys/block/<name> is a symlink into /sys/devices,
// whose path tells the bus.
func fakeMachine(t *testing.T, disks ...fakeDisk) (sys, dev string) {
	t.Helper()
	sys, dev = t.TempDir(), t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bit := func(b bool) string {
		if b {
			return "1\n"
		}
		return "0\n"
	}
	if err := os.MkdirAll(filepath.Join(sys, "block"), 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 8 << 20
	for i, d := range disks {
		bus := fmt.Sprintf("devices/pci0000:00/0000:00:1f.%d/ata%d/host%d/target%d:0:0/%d:0:0:0", i, i, i, i, i)
		switch {
		case strings.HasPrefix(d.name, "mmc"):
			bus = fmt.Sprintf("devices/pci0000:00/0000:00:1e.%d/mmc_host/mmc%d/mmc%d:0001", i, i, i)
		case d.usb:
			bus = fmt.Sprintf("devices/pci0000:00/0000:00:14.0/usb1/1-%d/1-%d:1.0/host%d/target%d:0:0/%d:0:0:0", i, i, i, i, i)
		}
		dir := filepath.Join(sys, bus, "block", d.name)
		write(filepath.Join(dir, "size"), fmt.Sprintf("%d\n", size/512))
		write(filepath.Join(dir, "removable"), bit(d.removable))
		write(filepath.Join(dir, "ro"), bit(d.ro))
		write(filepath.Join(dir, "device", "model"), d.model+"\n")
		if err := os.Symlink(filepath.Join("..", bus, "block", d.name), filepath.Join(sys, "block", d.name)); err != nil {
			t.Fatal(err)
		}
		if d.whole != "-" {
			image(t, filepath.Join(dev, d.name), size, d.whole)
		}
		for j, what := range d.parts {
			pname := fmt.Sprintf("%s%d", d.name, j+1)
			if c := d.name[len(d.name)-1]; c >= '0' && c <= '9' {
				pname = fmt.Sprintf("%sp%d", d.name, j+1)
			}
			write(filepath.Join(dir, pname, "partition"), fmt.Sprintf("%d\n", j+1))
			write(filepath.Join(dir, pname, "ro"), "0\n")
			image(t, filepath.Join(dev, pname), 4<<20, what)
		}
	}
	return sys, dev
}

// image makes a device node: a file of size bytes holding what.
func image(t *testing.T, path string, size int64, what string) {
	t.Helper()
	testdisk.Sparse(t, path, size)
	switch {
	case what == "ext4":
		testdisk.Run(t, testdisk.Tool(t, "mkfs.ext4"), "-q", "-F", path)
	case what == "mkfs.fat":
		testdisk.Run(t, testdisk.Tool(t, "mkfs.fat"), path)
	case strings.HasPrefix(what, "fat"):
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		label := strings.TrimPrefix(strings.TrimPrefix(what, "fat"), ":")
		if err := vfat.Format(f, 0, size, vfat.Options{Label: label, Source: fstest.MapFS{"README.TXT": {Data: []byte("hi")}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTargets(t *testing.T) {
	sys, dev := fakeMachine(t,
		fakeDisk{name: "nvme0n1", model: "Samsung 980", parts: []string{"fat:EFI", "ext4"}},           // fixed disk
		fakeDisk{name: "sda", model: "Fixed SATA", parts: []string{"fat"}},                            // fixed disk
		fakeDisk{name: "sdb", usb: true, removable: true, model: "Installer", parts: []string{"fat"}}, // boot stick, excluded
		fakeDisk{name: "sdc", usb: true, removable: true, model: "Cruzer Blade", parts: []string{"fat:LOGS", "ext4"}},
		fakeDisk{name: "sdd", usb: true, model: "USB SSD", whole: "mkfs.fat"}, // superfloppy, not removable
		fakeDisk{name: "sde", usb: true, removable: true, ro: true, model: "Locked", parts: []string{"fat"}},
		fakeDisk{name: "sdf", usb: true, removable: true, model: "Linux Stick", parts: []string{"ext4"}},
		fakeDisk{name: "mmcblk0", removable: true, model: "SD Card", parts: []string{"fat"}},
		fakeDisk{name: "sdg", usb: true, removable: true, model: "Install Target", whole: "fat"}, // excluded by /dev path
		fakeDisk{name: "sdh", usb: true, removable: true, model: "Card Reader", whole: "-"},      // no node: no medium
	)
	// A partition that the kernel reports read-only.
	if err := os.WriteFile(filepath.Join(sys, "block", "sdc", "sdc2", "ro"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := Targets(sys, dev, []string{"sdb", "/dev/sdg"})
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	var got []string
	for _, tg := range ts {
		got = append(got, strings.TrimPrefix(tg.Device, dev+"/")+"@"+tg.Disk)
	}
	want := []string{"mmcblk0p1@mmcblk0", "sdc1@sdc", "sdd@sdd"}
	if !slices.Equal(got, want) {
		t.Fatalf("Targets = %v, want %v", got, want)
	}
	for i, want := range []string{
		"SD Card, 8.4 MB (unknown, mmcblk0), partition mmcblk0p1, FAT12",
		`Cruzer Blade, 8.4 MB (usb, sdc), partition sdc1, FAT12 "LOGS"`,
		"USB SSD, 8.4 MB (usb, sdd), whole disk, FAT12",
	} {
		if ts[i].Describe != want {
			t.Errorf("target %d: Describe = %q, want %q", i, ts[i].Describe, want)
		}
	}

	// With the only candidates excluded, the UI gets ErrNoTarget.
	_, err = Targets(sys, dev, []string{"sdb", "sdc", "sdd", "sdg", "mmcblk0"})
	if !errors.Is(err, ErrNoTarget) {
		t.Errorf("Targets with every stick excluded: %v, want ErrNoTarget", err)
	}
	if !strings.Contains(ErrNoTarget.Error(), "plug one in and choose Export logs again") {
		t.Errorf("ErrNoTarget does not say what to do: %q", ErrNoTarget)
	}
	if _, err := Targets(filepath.Join(t.TempDir(), "nope"), dev, nil); err == nil || errors.Is(err, ErrNoTarget) {
		t.Errorf("Targets without sysfs: %v, want a sysfs error", err)
	}
}

// fakeMounter "mounts" a stick, a plain directory, by moving its entries
// into the mount point, and "unmounts" by moving them back, so that a
// file left on the mount point after Unmount shows up as a bug.
type fakeMounter struct {
	t          *testing.T
	stick      string
	mounted    string // the mount point while mounted
	mounts     int
	unmounts   int
	failMount  error
	failUnmnt  error
	yankOnMnt  bool // remove the mount point once mounted, as if the stick were pulled
	fileLimit  bool // limit file sizes (RLIMIT_FSIZE) while mounted, as if the stick were full
	saved      unix.Rlimit
	unmountDir string
}

func (m *fakeMounter) Mount(dev, dir string) error {
	m.mounts++
	if m.failMount != nil {
		return m.failMount
	}
	if m.mounted != "" {
		m.t.Errorf("Mount(%s, %s) while mounted on %s", dev, dir, m.mounted)
	}
	move(m.t, m.stick, dir)
	m.mounted = dir
	if m.fileLimit {
		// Writes past the limit fail with EFBIG (the Go runtime ignores
		// SIGXFSZ); the limit is restored on Unmount.
		if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &m.saved); err != nil {
			m.t.Fatal(err)
		}
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 4096, Max: m.saved.Max}); err != nil {
			m.t.Fatal(err)
		}
	}
	if m.yankOnMnt {
		if err := os.RemoveAll(dir); err != nil {
			m.t.Fatal(err)
		}
	}
	return nil
}

func (m *fakeMounter) Unmount(dir string) error {
	m.unmounts++
	m.unmountDir = dir
	if m.fileLimit {
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &m.saved); err != nil {
			m.t.Fatal(err)
		}
	}
	if dir != m.mounted {
		m.t.Errorf("Unmount(%s), mounted on %q", dir, m.mounted)
	}
	if !m.yankOnMnt {
		move(m.t, dir, m.stick)
	}
	m.mounted = ""
	return m.failUnmnt
}

func move(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExport(t *testing.T) {
	// Keep the mount points inside the test's directory, where they can
	// be checked for leftovers, on the same filesystem as the stick.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stick := t.TempDir()
	name := Name(when)
	if err := os.WriteFile(filepath.Join(stick, name), []byte("older bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := Target{Device: "/dev/sdc1", Disk: "sdc", Describe: "Cruzer Blade"}
	m := &fakeMounter{t: t, stick: stick}

	tests := []struct {
		data, want string
	}{
		{"bundle 1", "/plinth-logs-20261122-051500-1.tar.gz"},
		{"bundle 2", "/plinth-logs-20261122-051500-2.tar.gz"},
	}
	for _, tt := range tests {
		path, err := Export(target, name, []byte(tt.data), m)
		if err != nil {
			t.Fatalf("Export: %v", err)
		}
		if path != tt.want {
			t.Errorf("Export = %q, want %q", path, tt.want)
		}
		if b, err := os.ReadFile(filepath.Join(stick, path)); err != nil || string(b) != tt.data {
			t.Errorf("stick:%s = %q, %v; want %q", path, b, err, tt.data)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(stick, name)); string(b) != "older bundle" {
		t.Errorf("existing %s overwritten: %q", name, b)
	}
	if m.mounts != 2 || m.unmounts != 2 || m.mounted != "" {
		t.Errorf("%d mounts, %d unmounts, still mounted on %q; want 2, 2, none", m.mounts, m.unmounts, m.mounted)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("mount points left behind: %v", left)
	}
}

func TestExportFailures(t *testing.T) {
	target := Target{Device: "/dev/sdc1", Disk: "sdc", Describe: "Cruzer Blade"}
	tests := []struct {
		name          string
		file          string
		size          int // of the bundle; 0 means 4 bytes
		m             fakeMounter
		wantErr       []string
		mounts, unmnt int
	}{
		{name: "bad name", file: "../x.tar.gz", wantErr: []string{`"../x.tar.gz" is not a file name`}},
		{name: "mount fails", file: "x.tar.gz", m: fakeMounter{failMount: errors.New("invalid argument")}, mounts: 1,
			wantErr: []string{"mount /dev/sdc1 (Cruzer Blade) as FAT: invalid argument", "reformat this one as FAT32"}},
		{name: "create fails", file: "x.tar.gz", m: fakeMounter{yankOnMnt: true}, mounts: 1, unmnt: 1,
			wantErr: []string{"on /dev/sdc1 (Cruzer Blade): create x.tar.gz"}},
		{name: "write fails", file: "x.tar.gz", size: 8192, m: fakeMounter{fileLimit: true}, mounts: 1, unmnt: 1,
			wantErr: []string{"on /dev/sdc1 (Cruzer Blade): write x.tar.gz: file too large: is the stick full"}},
		{name: "unmount fails", file: "x.tar.gz", m: fakeMounter{failUnmnt: errors.New("device busy")}, mounts: 1, unmnt: 1,
			wantErr: []string{"unmount /dev/sdc1 (Cruzer Blade): device busy", "do not unplug"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			m := &tt.m
			m.t, m.stick = t, t.TempDir()
			data := []byte("data")
			if tt.size > 0 {
				data = make([]byte, tt.size)
			}
			path, err := Export(target, tt.file, data, m)
			if path != "" {
				t.Errorf("Export returned path %q with a failure", path)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Export error %v, want one containing %q", err, w)
				}
			}
			if m.mounts != tt.mounts || m.unmounts != tt.unmnt {
				t.Errorf("%d mounts, %d unmounts; want %d, %d", m.mounts, m.unmounts, tt.mounts, tt.unmnt)
			}
			if tt.name != "unmount fails" {
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Errorf("mount points left behind: %v", left)
				}
			}
			if tt.name == "create fails" {
				if _, err := os.Stat(m.unmountDir); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("mount point %s: %v", m.unmountDir, err)
				}
			}
			if left, _ := os.ReadDir(m.stick); len(left) != 0 && tt.name != "unmount fails" {
				t.Errorf("stick holds %v after a failure, want nothing (no partial file)", left)
			}
		})
	}
}

func TestSplitExt(t *testing.T) {
	tests := []struct{ in, base, ext string }{
		{"plinth-logs-1.tar.gz", "plinth-logs-1", ".tar.gz"},
		{"x.log", "x", ".log"},
		{"noext", "noext", ""},
		{".tar.gz", ".tar", ".gz"},
		{".profile", ".profile", ""},
	}
	for _, tt := range tests {
		if b, e := splitExt(tt.in); b != tt.base || e != tt.ext {
			t.Errorf("splitExt(%q) = %q, %q; want %q, %q", tt.in, b, e, tt.base, tt.ext)
		}
	}
}
