package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
)

// upgradeMachine is a fake machine whose vda holds an installation of
// product at version, made by the installer itself, and whose installer
// image carries Plinth 1.2.3 (writePayload).
type upgradeMachine struct {
	t       *testing.T
	r       roots
	sys     partfindtest.System
	vars    *efivar.MemStore
	plan    *installplan.Plan // the install's
	mounter *espMounter
	events  bytes.Buffer
}

func newUpgradeMachine(t *testing.T, product, version string) *upgradeMachine {
	t.Helper()
	r, sys := planSystem(t)
	m := &upgradeMachine{t: t, r: r, sys: sys, vars: efivar.NewMemStore()}
	m.r.Vars = m.vars
	writeFakeProc(t, r.Proc)
	m.plan = m.install(product, version)
	writePayload(t, m.r)
	m.mounter = &espMounter{t: t, parts: map[string]espRegion{}, mounted: map[string]espRegion{}}
	esp, _ := m.plan.ESP()
	ss := int64(m.plan.Disk.SectorSize)
	m.mounter.parts[sys.Device(partfindtest.PartName("vda", esp.Number))] = espRegion{img: sys.Device("vda"),
		off: int64(esp.FirstLBA) * ss, size: int64(esp.Sectors()) * ss}
	return m
}

// install installs product at version onto vda, the smallest disk, and
// shows its partitions in sysfs as the kernel would after reading the
// new table.
func (m *upgradeMachine) install(product, version string) *installplan.Plan {
	t := m.t
	t.Helper()
	uki := bytes.Repeat([]byte("runtime UKI "+version+" "), 40000)
	sum := sha256.Sum256(uki)
	mf := install.Manifest{Product: product, Version: version, RuntimeUKISHA256: hex.EncodeToString(sum[:]), RuntimeUKISize: int64(len(uki))}
	ans, err := answers.Parse([]byte("disk: smallest\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := install.Env{SysRoot: m.r.Sys, DevRoot: m.r.Dev, ProcRoot: m.r.Proc, Vars: m.vars, Req: installplan.DefaultRequirements(), Log: t.Logf}
	res, err := install.Run(context.Background(), env, install.Request{Answers: ans, Manifest: mf, UKI: uki})
	if err != nil || res.Disk.Name != "vda" {
		t.Fatalf("install %s %s: %v (onto %s)", product, version, err, res.Disk.Name)
	}
	major, _, _ := strings.Cut(strings.TrimSpace(readString(t, filepath.Join(m.r.Sys, "block/vda/dev"))), ":")
	for _, p := range res.Plan.Partitions {
		name := partfindtest.PartName("vda", p.Number)
		dir := filepath.Join(m.r.Sys, "block/vda", name)
		for file, content := range map[string]string{
			"dev": fmt.Sprintf("%s:%d", major, p.Number), "uevent": fmt.Sprintf("MAJOR=%s\nMINOR=%d\nDEVNAME=%s", major, p.Number, name),
			"partition": fmt.Sprint(p.Number), "start": fmt.Sprint(p.FirstLBA), "size": fmt.Sprint(p.Sectors()),
		} {
			writeString(t, filepath.Join(dir, file), content+"\n")
		}
	}
	return res.Plan
}

// writeFakeProc gives the fake machine a CPU and 4 GiB of memory.
func writeFakeProc(t *testing.T, proc string) {
	writeString(t, filepath.Join(proc, "cpuinfo"), "processor\t: 0\nmodel name\t: Test CPU\n")
	writeString(t, filepath.Join(proc, "meminfo"), "MemTotal:        4194304 kB\n")
}

// app is the installer on this machine, as main sets it up.
func (m *upgradeMachine) app() *app {
	j := newJournal()
	a := &app{events: event.New(io.MultiWriter(&m.events, j)), journal: j, rel: release{Product: "Plinth", Version: "1.2.3"},
		roots: m.r, mounter: m.mounter}
	a.loadPayload()
	if err := a.payloadCheck.Wait(); err != nil {
		m.t.Fatal(err)
	}
	a.env = a.installEnv()
	return a
}

// press sends keys to the wizard as the interactive loop does, and
// carries out the actions; an install or upgrade started runs to its
// end and is reported before press returns.
func press(t *testing.T, a *app, wz *wizard.Wizard, wk work, keys ...wizard.Key) {
	t.Helper()
	for _, k := range keys {
		act := wz.Key(k)
		a.do(wz, act, wk)
		switch act.(type) {
		case wizard.StartUpgrade:
			select {
			case d := <-wk.upgraded:
				a.upgradeFinished(wz, d)
			case <-time.After(2 * time.Minute):
				t.Fatal("the upgrade did not end")
			}
		case wizard.StartInstall:
			t.Fatal("an install started")
		}
	}
}

func enter() wizard.Key       { return wizard.Key{Kind: wizard.KeyEnter} }
func key(r rune) wizard.Key   { return wizard.Key{Kind: wizard.KeyRune, Rune: r} }
func body(v view.View) string { return strings.Join(bodyLines(v), "\n") }

func bodyLines(v view.View) []string {
	var out []string
	for _, l := range v.Body {
		out = append(out, l.Text)
	}
	return out
}

// The interactive upgrade, end to end on fake disks: the disk list says
// what vda holds, u and Enter upgrade it without erasing anything, and
// the finish screen and the upgraded event report it. A disk that is
// not as it was listed fails without a write, and Retry upgrades.
func TestInteractiveUpgrade(t *testing.T) {
	m := newUpgradeMachine(t, "Plinth", "1.2.2")
	esp, _ := m.plan.ESP()
	data := m.plan.Partitions[1]
	ss := int64(m.plan.Disk.SectorSize)
	dataBefore := testdisk.ExtentSum(t, m.sys.Device("vda"), int64(data.FirstLBA)*ss, int64(data.Sectors())*ss)
	cfgBefore := readESPFile(t, m.sys.Device("vda"), esp, ss, appconfig.RelPath)

	a := m.app()
	wz := a.startWizard()
	wk := newWork()
	press(t, a, wz, wk, enter()) // welcome: Install
	host := m.plan.Installed.Hostname
	if v := wz.View(); v.Screen != wizard.ScreenDisks || !strings.HasSuffix(v.Body[0].Text, "  - holds Plinth 1.2.2, host "+host) ||
		!strings.Contains(v.Hint, "u upgrade") {
		t.Fatalf("disk list:\n%s\n%s", body(v), v.Hint)
	}
	press(t, a, wz, wk, key('u'))
	if v := wz.View(); v.Screen != wizard.ScreenUpgrade ||
		!strings.Contains(body(v), "Plinth 1.2.2 on vda becomes 1.2.3. Its data, hostname and settings are kept.") {
		t.Fatalf("upgrade screen %s:\n%s\nnote %q", v.Screen, body(v), v.Note)
	}

	found := a.found
	a.found = nil // as if the disk had changed since it was listed
	press(t, a, wz, wk, enter())
	if v := wz.View(); v.Heading != "Upgrade failed" || !strings.Contains(body(v), "Nothing was written to") ||
		!strings.Contains(body(v), string(errcode.DiskChanged)) {
		t.Fatalf("failed screen %q:\n%s", v.Heading, body(v))
	}
	if len(found) != 1 {
		t.Fatalf("found %d installations", len(found))
	}
	press(t, a, wz, wk, key('r')) // Retry: the disks are looked at again
	if wz.Screen() != wizard.ScreenUpgrade || len(a.found) != 1 {
		t.Fatalf("retry: screen %s, %d installations", wz.Screen(), len(a.found))
	}
	press(t, a, wz, wk, enter())
	v := wz.View()
	if v.Screen != wizard.ScreenDone || v.Heading != "Upgraded" || !strings.Contains(body(v), "is upgraded from 1.2.2 to 1.2.3.") ||
		strings.Contains(body(v), "installed on") {
		t.Fatalf("finish screen %s %q:\n%s\nnote %q\nevents:\n%s", v.Screen, v.Heading, body(v), v.Note, m.events.String())
	}

	up := checkEvents(t, m.events.String())
	if up == nil || up["from"] != "1.2.2" || up["version"] != "1.2.3" || up["slot"] != "B" || up["after"] != "" || up["disk"] != "vda" {
		t.Fatalf("upgraded event %v", up)
	}
	m.checkSlotB(esp, ss, up["bootEntry"].(string))
	if got := testdisk.ExtentSum(t, m.sys.Device("vda"), int64(data.FirstLBA)*ss, int64(data.Sectors())*ss); got != dataBefore {
		t.Error("the data partition changed")
	}
	if got := readESPFile(t, m.sys.Device("vda"), esp, ss, appconfig.RelPath); !bytes.Equal(got, cfgBefore) {
		t.Errorf("plinth.json changed:\n%s\n%s", cfgBefore, got)
	}
}

// checkEvents validates every event line and returns the upgraded
// event; nil when there is none.
func checkEvents(t *testing.T, lines string) map[string]any {
	t.Helper()
	var up map[string]any
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		if err := event.Validate(line); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		if obj, ok := event.Parse(line); ok && obj["event"] == string(event.NameUpgraded) {
			up = obj
		}
	}
	return up
}

// checkSlotB checks that slot B holds 1.2.3 for a trial boot that
// BootNext (the event's entry) starts.
func (m *upgradeMachine) checkSlotB(esp installplan.PlanPart, ss int64, entry string) {
	t := m.t
	t.Helper()
	st, err := abslot.ParseState(readESPFile(t, m.sys.Device("vda"), esp, ss, abslot.StatePath))
	if err != nil {
		t.Fatal(err)
	}
	if st.Committed != abslot.A || st.B.Version != "1.2.3" || st.B.Status != abslot.Staged || st.Trial == nil || st.Trial.Slot != abslot.B {
		b, _ := json.Marshal(st)
		t.Errorf("slots.json %s", b)
	}
	next, err := efivar.ReadBootNext(m.vars)
	if err != nil || efivar.BootOptionName(next) != entry {
		t.Errorf("BootNext %s (%v), the event says %s", efivar.BootOptionName(next), err, entry)
	}
	if o, err := efivar.ReadBootEntry(m.vars, next); err != nil || o.Description != "Plinth B" {
		t.Errorf("BootNext's entry %+v (%v)", o, err)
	}
}

// Which installations the wizard is told of, and the upgrade's own
// refusals of those it must not upgrade.
func TestInstallationsOffered(t *testing.T) {
	tests := []struct {
		name, product, version string
		listed                 bool
		refused                string // substring; "" none
	}{
		{"older", "Plinth", "1.2.2", true, ""},
		{"the same version", "Plinth", "1.2.3", true, "(virtio, vda) already runs Plinth 1.2.3: nothing to upgrade"},
		{"newer", "Plinth", "1.10", true, "runs Plinth 1.10, newer than this installer's 1.2.3: an upgrade never goes back"},
		{"another product", "Other Co", "1.0", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newUpgradeMachine(t, tt.product, tt.version)
			a := m.app()
			s, err := install.Look(a.env)
			if err != nil {
				t.Fatal(err)
			}
			ins := a.installations(s)
			if len(ins) != map[bool]int{true: 1}[tt.listed] || len(a.found) != len(ins) {
				t.Fatalf("installations %+v", ins)
			}
			if !tt.listed {
				return
			}
			in := ins[0]
			if in.Disk.Disk.Name != "vda" || in.Version != tt.version || in.Hostname != m.plan.Installed.Hostname || in.Legacy ||
				(tt.refused == "") != (in.Refused == "") || !strings.Contains(in.Refused, tt.refused) {
				t.Errorf("installation %+v, want refused %q", in, tt.refused)
			}
			wz := a.startWizard()
			press(t, a, wz, newWork(), enter(), key('u'))
			if want := map[bool]string{true: wizard.ScreenDisks, false: wizard.ScreenUpgrade}[tt.refused != ""]; wz.Screen() != want || wz.View().Note != in.Refused {
				t.Errorf("u: screen %s note %q, want %s", wz.Screen(), wz.View().Note, want)
			}
		})
	}
}

// espRegion is where an ESP lies in a disk image.
type espRegion struct {
	img       string
	off, size int64
	boot      vfat.BootSector
}

// espMounter "mounts" the ESP of a fake disk by copying its files to
// the mount point, and at unmount formats its region of the image anew
// from them, with the same label and volume ID: nothing outside the ESP
// is written. It refuses what a real mount would: another device,
// another filesystem, read-only.
type espMounter struct {
	t       *testing.T
	parts   map[string]espRegion // by partition device
	mounted map[string]espRegion // by mount point
}

func (f *espMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	r, ok := f.parts[source]
	if !ok || fstype != "vfat" {
		return fmt.Errorf("fake mount: %s as %s: not the ESP of the installed disk", source, fstype)
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
	r.boot = fsys.BootSector()
	if err := os.CopyFS(target, fsys); err != nil {
		return err
	}
	f.mounted[target] = r
	return nil
}

func (f *espMounter) Unmount(target string, flags int) error {
	r, ok := f.mounted[target]
	if !ok {
		return fmt.Errorf("fake unmount: nothing mounted on %s", target)
	}
	delete(f.mounted, target)
	img, err := os.OpenFile(r.img, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer img.Close()
	b := r.boot
	if err := vfat.Format(img, r.off, r.size, vfat.Options{FATType: b.FATType, Label: b.Label, VolumeID: b.VolumeID,
		SectorsPerCluster: b.SectorsPerCluster, Source: os.DirFS(target), HiddenSectors: b.HiddenSectors}); err != nil {
		return err
	}
	entries, err := os.ReadDir(target) // empty, as after a real unmount
	for _, e := range entries {
		err = errors.Join(err, os.RemoveAll(filepath.Join(target, e.Name())))
	}
	return err
}

func readESPFile(t *testing.T, img string, esp installplan.PlanPart, ss int64, rel string) []byte {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fsys, err := vfat.Open(f, int64(esp.FirstLBA)*ss, int64(esp.Sectors())*ss)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsys.ReadFile(rel)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeString(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
