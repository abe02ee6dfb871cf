package upgrade

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/provision"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
	"golang.org/x/sys/unix"
)

const (
	product  = "Acme DB"
	diskMiB  = 800 // the smallest whole-MiB size above disklayout.MinDiskSize, with room
	hostname = "db-07"
)

// uki is the content of a runtime UKI of version: distinct per version.
func uki(version string) []byte {
	return bytes.Repeat([]byte("MZ runtime "+version+"\n"), 4000)
}

var (
	shimBytes = bytes.Repeat([]byte("MZ shim\n"), 300)
	mmBytes   = bytes.Repeat([]byte("MZ mokmanager\n"), 300)
)

// inst describes the installation a test disk holds.
type inst struct {
	product, version string
	legacy           bool // the layout from before slots
	shim             bool // boots through shim
	// committedB: an update committed slot B; slot A holds previous.
	committedB bool
	previous   string
	// trial: slot B holds trialVersion, staged, with an armed trial.
	trial        bool
	trialVersion string
	damaged      bool // plinth.json is not valid JSON
}

// diskSpec is one disk of a test machine; inst nil leaves it blank.
type diskSpec struct {
	name, serial string
	inst         *inst
}

// machine is a fake machine: sysfs and /dev trees whose disks are image
// files, a variable store with the installer's own boot entry, and a
// Mounter that mounts an ESP by copying its files to the mount point and
// formats the ESP from them again at unmount.
type machine struct {
	t       *testing.T
	sys     partfindtest.System
	vars    *efivar.MemStore
	mounter *fakeMounter
	layouts map[string]provision.Layout // installed disks, by name
	images  map[string]string           // disk images moved out of /dev, by name
}

// img is the image file of disk name.
func (m *machine) img(name string) string {
	if p, ok := m.images[name]; ok {
		return p
	}
	return m.sys.Device(name)
}

func newMachine(t *testing.T, disks ...diskSpec) *machine {
	t.Helper()
	specs := make([]partfindtest.Disk, len(disks))
	for i, d := range disks {
		// The partitions come from provision.Write (install), which
		// writes the GPT; sysfs gets their devices there.
		specs[i] = partfindtest.Disk{Name: d.name, SizeMiB: diskMiB}
	}
	m := &machine{t: t, sys: partfindtest.Build(t, specs...), vars: installerVars(t),
		layouts: map[string]provision.Layout{}, images: map[string]string{}}
	m.mounter = &fakeMounter{t: t, parts: map[string]region{}, mounted: map[string]region{}}
	for _, d := range disks {
		if d.serial != "" {
			writeFile(t, filepath.Join(m.sys.Sys, "block", d.name, "serial"), d.serial+"\n")
		}
		if d.inst != nil {
			m.install(d.name, d.serial, *d.inst)
		}
	}
	return m
}

// installerVars is the firmware's variables as an installer booted from
// a USB stick sees them: the stick's entry, which BootCurrent names and
// which starts a loader that is none of the installation's.
func installerVars(t *testing.T) *efivar.MemStore {
	t.Helper()
	vars := efivar.NewMemStore()
	stick := guid.MustParse("99999999-8888-7777-6666-555555555555")
	dp, err := efivar.DiskBootPath(efivar.GPTHardDrive(2, 64, 8192, stick), `\EFI\installer\loader.efi`)
	if err != nil {
		t.Fatal(err)
	}
	o := &efivar.LoadOption{Attributes: efivar.LoadOptionActive, Description: "USB stick", FilePaths: []efivar.DevicePath{dp}}
	if err := efivar.WriteBootEntry(vars, 0, o); err != nil {
		t.Fatal(err)
	}
	if err := efivar.WriteBootOrder(vars, []uint16{0}); err != nil {
		t.Fatal(err)
	}
	if err := vars.Set("BootCurrent", efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, []byte{0, 0}); err != nil {
		t.Fatal(err)
	}
	return vars
}

// install writes an installation onto disk name as the installer (or
// mkiso's disk image) lays it out, and a pattern into its data
// partition that the upgrade must leave alone.
func (m *machine) install(name, serial string, in inst) {
	t := m.t
	t.Helper()
	l, err := provision.Plan(diskMiB<<20, 512, 0, []byte(name))
	if err != nil {
		t.Fatal(err)
	}
	cfg := provision.Config(appconfig.Config{Product: in.product, Version: in.version, Network: appconfig.Network{Mode: appconfig.ModeDHCP}},
		l, appconfig.Identity{DiskSerial: serial})
	cfg.Hostname = hostname
	c := provision.Content{RuntimeUKI: uki(in.version), LoaderPath: abslot.A.Path(), Config: cfg, Files: map[string][]byte{}}
	if in.shim {
		c.Shim, c.MokManager = shimBytes, mmBytes
	}
	in.layout(t, &c)
	img := m.img(name)
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := provision.Write(f, l, c); err != nil {
		t.Fatal(err)
	}
	pattern := bytes.Repeat([]byte("customer data "+name+"\n"), 1<<14)
	if _, err := f.WriteAt(pattern, l.Offset(l.Data)+100<<20); err != nil {
		t.Fatal(err)
	}
	if in.damaged {
		m.damageConfig(f, l)
	}
	m.layouts[name] = l
	for _, p := range []gpt.Partition{l.ESP, l.Data} {
		m.partDevice(name, p)
	}
	part := m.sys.Device(partfindtest.PartName(name, 1))
	m.mounter.parts[part] = region{img: img, off: l.Offset(l.ESP), size: l.Size(l.ESP), hidden: uint32(l.ESP.FirstLBA)}
}

// partDevice adds GPT partition p of disk name to sysfs, as the kernel
// shows it once it has read the table.
func (m *machine) partDevice(name string, p gpt.Partition) {
	part := partfindtest.PartName(name, p.Number)
	dir := filepath.Join(m.sys.Sys, "block", name, part)
	major := strings.TrimSpace(strings.SplitN(readFile(m.t, filepath.Join(m.sys.Sys, "block", name, "dev")), ":", 2)[0])
	for file, content := range map[string]string{
		"dev":       fmt.Sprintf("%s:%d", major, p.Number),
		"uevent":    fmt.Sprintf("MAJOR=%s\nMINOR=%d\nDEVNAME=%s", major, p.Number, part),
		"partition": fmt.Sprint(p.Number),
		"start":     fmt.Sprint(p.FirstLBA),
		"size":      fmt.Sprint(p.Sectors()),
	} {
		writeFile(m.t, filepath.Join(dir, file), content+"\n")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// layout fills c's slot files and state for in.
func (in inst) layout(t *testing.T, c *provision.Content) {
	t.Helper()
	sum := func(v string) string { s := sha256.Sum256(uki(v)); return hex.EncodeToString(s[:]) }
	size := func(v string) int64 { return int64(len(uki(v))) }
	if in.legacy {
		c.LoaderPath = abslot.LegacyPath(in.product)
		return
	}
	st := abslot.State{Format: abslot.FormatVersion, Committed: abslot.A,
		A: abslot.SlotState{Status: abslot.Committed, Version: in.version, Size: size(in.version), SHA256: sum(in.version)},
		B: abslot.SlotState{Status: abslot.Empty}}
	if in.committedB {
		c.LoaderPath = abslot.B.Path()
		c.Files[abslot.A.Path()] = uki(in.previous)
		st.Committed = abslot.B
		st.A = abslot.SlotState{Status: abslot.Committed, Version: in.previous, Size: size(in.previous), SHA256: sum(in.previous)}
		st.B = abslot.SlotState{Status: abslot.Committed, Version: in.version, Size: size(in.version), SHA256: sum(in.version), From: in.previous}
	}
	if in.trial {
		c.Files[abslot.B.Path()] = uki(in.trialVersion)
		st.B = abslot.SlotState{Status: abslot.Staged, Version: in.trialVersion, Size: size(in.trialVersion), SHA256: sum(in.trialVersion), From: in.version}
		st.Trial = &abslot.TrialRecord{Slot: abslot.B, Version: in.trialVersion, FromVersion: in.version, Armed: true}
	}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c.Files[abslot.StatePath] = b
}

// damageConfig overwrites plinth.json's first cluster with a brace too
// many: the file is there but does not parse.
func (m *machine) damageConfig(f *os.File, l provision.Layout) {
	m.t.Helper()
	fsys, err := vfat.Open(f, l.Offset(l.ESP), l.Size(l.ESP))
	if err != nil {
		m.t.Fatal(err)
	}
	var good []byte
	if good, err = fsys.ReadFile(appconfig.RelPath); err != nil {
		m.t.Fatal(err)
	}
	bad := append([]byte("}"), good[1:]...)
	dir := m.t.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		m.t.Fatal(err)
	}
	writeFile(m.t, filepath.Join(dir, filepath.FromSlash(appconfig.RelPath)), string(bad))
	bs := fsys.BootSector()
	if err := vfat.Format(f, l.Offset(l.ESP), l.Size(l.ESP), vfat.Options{FATType: 32, Label: bs.Label, VolumeID: bs.VolumeID,
		Source: os.DirFS(dir), HiddenSectors: bs.HiddenSectors}); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) env() install.Env {
	return install.Env{SysRoot: m.sys.Sys, DevRoot: m.sys.Dev, ProcRoot: filepath.Join(m.t.TempDir(), "proc"), Vars: m.vars, Log: m.t.Logf}
}

// manifest describes the installer's payload: version's UKI, and with
// shim the shim chain.
func manifest(version string, shim bool) (install.Manifest, Request) {
	u := uki(version)
	s := sha256.Sum256(u)
	mf := install.Manifest{Product: product, Version: version, RuntimeUKISHA256: hex.EncodeToString(s[:]), RuntimeUKISize: int64(len(u))}
	req := Request{UKI: u}
	if shim {
		mf.Shim, mf.MokManager = installplan.DigestOf(shimBytes), installplan.DigestOf(mmBytes)
		req.Shim, req.MokManager = shimBytes, mmBytes
	}
	req.Manifest = mf
	return mf, req
}

// fingerprint is every disk image's SHA-256 and every variable.
func (m *machine) fingerprint() map[string]string {
	m.t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(m.sys.Dev)
	if err != nil {
		m.t.Fatal(err)
	}
	for _, e := range entries {
		out["disk "+e.Name()] = fmt.Sprintf("%x", testdisk.ExtentSum(m.t, filepath.Join(m.sys.Dev, e.Name()), 0, -1))
	}
	refs, err := m.vars.List()
	if err != nil {
		m.t.Fatal(err)
	}
	for _, r := range refs {
		_, b, _ := m.vars.Get(r.Name, r.GUID)
		out["var "+r.Name] = hex.EncodeToString(b)
	}
	return out
}

// dataSum is the SHA-256 of disk name's data partition, every byte.
func (m *machine) dataSum(name string) []byte {
	l := m.layouts[name]
	sum := testdisk.ExtentSum(m.t, m.img(name), l.Offset(l.Data), l.Size(l.Data))
	return sum[:]
}

// espFS opens disk name's ESP from the raw image, as the firmware sees it.
func (m *machine) espFS(name string) *vfat.FS {
	m.t.Helper()
	l := m.layouts[name]
	f, err := os.Open(m.img(name))
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { f.Close() })
	fsys, err := vfat.Open(f, l.Offset(l.ESP), l.Size(l.ESP))
	if err != nil {
		m.t.Fatal(err)
	}
	return fsys
}

func (m *machine) readESP(name, rel string) []byte {
	m.t.Helper()
	b, err := m.espFS(name).ReadFile(rel)
	if err != nil {
		m.t.Fatal(err)
	}
	return b
}

// region is where an ESP lies in a disk image.
type region struct {
	img       string
	off, size int64
	hidden    uint32
	label     string
	volumeID  uint32
}

// fakeMounter "mounts" an ESP of a disk image by copying its files to
// the mount point, and at unmount formats the ESP's region of the image
// anew from the mount point's files (with the same label and volume ID):
// the bytes outside the ESP's region are never written. It refuses what
// a real mount of the ESP would not do: another device, another
// filesystem type, read-only.
type fakeMounter struct {
	t       *testing.T
	parts   map[string]region // by device path
	mounted map[string]region // by mount point
	calls   []string
}

func (f *fakeMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	f.calls = append(f.calls, fmt.Sprintf("mount %s %s %s", filepath.Base(source), fstype, flagText(flags)))
	r, ok := f.parts[source]
	switch {
	case !ok:
		return fmt.Errorf("fake mount: %s is no ESP of an installed disk: %w", source, unix.ENODEV)
	case fstype != "vfat" || flags&unix.MS_RDONLY != 0:
		return fmt.Errorf("fake mount: %s as %s with flags %#x: want vfat read-write", source, fstype, flags)
	}
	img, err := os.Open(r.img)
	if err != nil {
		return err
	}
	defer img.Close()
	fsys, err := vfat.Open(img, r.off, r.size)
	if err != nil {
		return err
	}
	bs := fsys.BootSector()
	r.label, r.volumeID = bs.Label, bs.VolumeID
	if err := os.CopyFS(target, fsys); err != nil {
		return err
	}
	f.mounted[target] = r
	return nil
}

func (f *fakeMounter) Unmount(target string, flags int) error {
	f.calls = append(f.calls, "unmount")
	r, ok := f.mounted[target]
	if !ok {
		return fmt.Errorf("fake unmount: nothing mounted on %s: %w", target, unix.EINVAL)
	}
	delete(f.mounted, target)
	img, err := os.OpenFile(r.img, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer img.Close()
	err = vfat.Format(img, r.off, r.size, vfat.Options{FATType: 32, Label: r.label, VolumeID: r.volumeID, Source: os.DirFS(target), HiddenSectors: r.hidden})
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(target)
	for _, e := range entries {
		err = errors.Join(err, os.RemoveAll(filepath.Join(target, e.Name())))
	}
	return err
}

func flagText(flags uintptr) string {
	var s []string
	for _, f := range []struct {
		bit  uintptr
		name string
	}{{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"}, {unix.MS_NOEXEC, "noexec"}} {
		if flags&f.bit != 0 {
			s = append(s, f.name)
		}
	}
	return strings.Join(s, ",")
}

var _ esp.Mounter = (*fakeMounter)(nil)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// entries is every boot entry by label.
func (m *machine) entries() map[string]efivar.BootEntry {
	m.t.Helper()
	list, err := efivar.ListBootEntries(m.vars)
	if err != nil {
		m.t.Fatal(err)
	}
	out := map[string]efivar.BootEntry{}
	for _, e := range list {
		if e.Option != nil {
			if _, dup := out[e.Option.Description]; dup {
				m.t.Errorf("two entries labelled %q", e.Option.Description)
			}
			out[e.Option.Description] = e
		}
	}
	return out
}

// diff names what differs between two fingerprints.
func diff(a, b map[string]string) []string {
	var out []string
	for k := range maps.Keys(a) {
		if a[k] != b[k] {
			out = append(out, k)
		}
	}
	for k := range maps.Keys(b) {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// hdOf is the HD() node of GPT entry p.
func hdOf(p gpt.Partition) efivar.HardDrive {
	return efivar.GPTHardDrive(uint32(p.Number), p.FirstLBA, p.Sectors(), p.GUID)
}
