package upgrade

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/step"
)

func parseAnswers(t *testing.T, yaml string) *answers.Answers {
	t.Helper()
	a, err := answers.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// want is what an upgrade leaves on disk name.
type want struct {
	disk          string
	slot          abslot.Slot
	from, to      string
	shim          bool // the ESP boots through shim afterwards
	legacy        bool // converted from the layout before slots
	committedUKI  []byte
	otherDisksSum map[string]string
}

func TestRun(t *testing.T) {
	acme := func(v string) *inst { return &inst{product: product, version: v} }
	tests := []struct {
		name    string
		disks   []diskSpec
		answers string
		shim    bool // the installer carries the shim chain
		want    want
	}{
		{"slot A committed, entries lost", []diskSpec{{name: "vda", inst: acme("1.0")}, {name: "vdb"}}, "mode: upgrade\n", false,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1"}},
		{"slot B committed", []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.0", committedB: true, previous: "0.9"}}}, "mode: upgrade\nafter: poweroff\n", false,
			want{disk: "vda", slot: abslot.A, from: "1.0", to: "1.1"}},
		{"legacy layout converted", []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.0", legacy: true}}}, "mode: upgrade\n", false,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", legacy: true}},
		{"shim added", []diskSpec{{name: "vda", inst: acme("1.0")}}, "mode: upgrade\n", true,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", shim: true}},
		{"shim kept", []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.0", shim: true}}}, "mode: upgrade\n", true,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", shim: true}},
		{"legacy: shim not added while converting", []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.0", legacy: true}}}, "mode: upgrade\n", true,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", legacy: true}},
		{"legacy with shim kept", []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.0", legacy: true, shim: true}}}, "mode: upgrade\n", false,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", legacy: true, shim: true}},
		{"serial picks one of two", []diskSpec{{name: "vda", serial: "SER-A", inst: acme("1.0")}, {name: "vdb", serial: "SER-B", inst: acme("0.8")}},
			"mode: upgrade\ndisk: serial:SER-B\n", false, want{disk: "vdb", slot: abslot.B, from: "0.8", to: "1.1"}},
		{"the one of our product beside another", []diskSpec{{name: "vda", inst: &inst{product: "Other Co", version: "3.0"}}, {name: "vdb", inst: acme("1.0")}},
			"mode: upgrade\n", false, want{disk: "vdb", slot: abslot.B, from: "1.0", to: "1.1"}},
		{"largest among installations", []diskSpec{{name: "vda", inst: acme("1.0")}, {name: "vdb"}}, "mode: upgrade\ndisk: largest\n", false,
			want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, tc.disks...)
			if tc.want.legacy {
				m.legacyEntry(tc.want.disk, tc.disks[0].inst.shim)
			}
			w := tc.want
			w.committedUKI = uki(w.from)
			before := m.fingerprint()
			cfg := m.readESP(w.disk, appconfig.RelPath)
			data := m.dataSum(w.disk)
			_, req := manifest(w.to, tc.shim)
			req.Answers, req.Mounter = parseAnswers(t, tc.answers), m.mounter
			var steps []step.Name
			env := m.env()
			env.Progress = func(p install.Progress) {
				if len(steps) == 0 || steps[len(steps)-1] != p.Step {
					steps = append(steps, p.Step)
				}
			}
			res, err := Run(context.Background(), env, req)
			if err != nil {
				t.Fatalf("Run: %v (code %s)", err, install.Code(err))
			}
			m.checkUpgraded(res, w, cfg, data, before)
			wantSteps := []step.Name{step.Discover, step.Plan, step.FormatESP, step.BootEntry, step.Verify, step.Done}
			if !slices.Equal(steps, wantSteps) {
				t.Errorf("steps %v, want %v", steps, wantSteps)
			}
			if wantAfter := req.Answers.After; res.Plan.After != wantAfter {
				t.Errorf("plan after %q, want %q", res.Plan.After, wantAfter)
			}
		})
	}
}

// checkUpgraded checks what Run left: the new version in its slot on
// the ESP, staged with an armed trial; the committed slot, the fallback
// chain, plinth.json, the data partition and every other disk as they
// were; both slots' entries right, the committed one first in
// BootOrder, and BootNext starting the new version.
func (m *machine) checkUpgraded(res *Result, w want, cfg, data []byte, before map[string]string) {
	t := m.t
	t.Helper()
	label := product + " " + string(w.slot)
	if res.Slot != w.slot || res.FromVersion != w.from || res.ToVersion != w.to || res.BootEntryLabel != label || res.Plan.Convert != w.legacy {
		t.Errorf("result %+v, want slot %s %s -> %s, entry %q, convert %v", res, w.slot, w.from, w.to, label, w.legacy)
	}
	if got := m.readESP(w.disk, w.slot.Path()); !bytes.Equal(got, uki(w.to)) {
		t.Errorf("%s does not hold the new UKI", w.slot.Path())
	}
	if got := m.readESP(w.disk, w.slot.Other().Path()); !bytes.Equal(got, w.committedUKI) {
		t.Errorf("the committed slot %s does not hold %s's UKI", w.slot.Other().Path(), w.from)
	}
	m.checkState(w)
	fallback := w.committedUKI
	if w.shim {
		fallback = shimBytes
		if got := m.readESP(w.disk, "EFI/BOOT/"+bootchain.ShimDefaultLoader); !bytes.Equal(got, w.committedUKI) {
			t.Errorf("shim's fallback second stage is not the committed UKI")
		}
	}
	if got := m.readESP(w.disk, disklayout.FallbackPath); !bytes.Equal(got, fallback) {
		t.Errorf("%s is not the committed chain's", disklayout.FallbackPath)
	}
	if !bytes.Equal(m.readESP(w.disk, appconfig.RelPath), cfg) {
		t.Errorf("%s changed", appconfig.RelPath)
	}
	if !bytes.Equal(m.dataSum(w.disk), data) {
		t.Error("the data partition changed")
	}
	m.checkVars(w, res)
	if before == nil {
		return // real devices: no fingerprint, no fake mounter
	}
	after := m.fingerprint()
	for _, k := range diff(before, after) {
		if k != "disk "+w.disk && !strings.HasPrefix(k, "var ") {
			t.Errorf("%s changed", k)
		}
	}
	wantCalls := []string{"mount " + w.disk + "1 vfat nosuid,nodev,noexec", "unmount"}
	if !slices.Equal(m.mounter.calls, wantCalls) {
		t.Errorf("mounts %q, want %q", m.mounter.calls, wantCalls)
	}
}

func (m *machine) checkState(w want) {
	t := m.t
	st, err := abslot.ParseState(m.readESP(w.disk, abslot.StatePath))
	if err != nil {
		t.Fatal(err)
	}
	ss := st.Slot(w.slot)
	if st.Committed != w.slot.Other() || st.Slot(st.Committed).Version != w.from {
		t.Errorf("committed %s %+v, want %s at %s", st.Committed, st.Slot(st.Committed), w.slot.Other(), w.from)
	}
	if ss.Status != abslot.Staged || ss.Version != w.to || ss.From != w.from {
		t.Errorf("slot %s %+v, want staged %s from %s", w.slot, ss, w.to, w.from)
	}
	if tr := st.Trial; tr == nil || tr.Slot != w.slot || tr.Version != w.to || tr.FromVersion != w.from || !tr.Armed {
		t.Errorf("trial %+v, want an armed trial of %s in slot %s", tr, w.to, w.slot)
	}
	if wantLegacy := abslot.LegacyPath(product); w.legacy != (st.Legacy == wantLegacy) {
		t.Errorf("legacy %q, converted %v", st.Legacy, w.legacy)
	}
}

// checkVars checks the boot variables: both slots' entries on the ESP's
// HD() node, BootOrder committed, other, then the firmware's own, and
// BootNext starting the new UKI.
func (m *machine) checkVars(w want, res *Result) {
	t := m.t
	l := m.layouts[w.disk]
	entries := m.entries()
	for _, s := range []abslot.Slot{abslot.A, abslot.B} {
		e, ok := entries[product+" "+string(s)]
		if !ok {
			t.Errorf("no entry for slot %s", s)
			continue
		}
		if hd, _ := e.Option.Path()[0].(efivar.HardDrive); hd != hdOf(l.ESP) {
			t.Errorf("slot %s entry on %+v, want the ESP's %+v", s, hd, hdOf(l.ESP))
		}
	}
	order, err := efivar.ReadBootOrder(m.vars)
	if err != nil {
		t.Fatal(err)
	}
	committed, next := entries[product+" "+string(w.slot.Other())].Num, entries[product+" "+string(w.slot)].Num
	if len(order) < 3 || order[0] != committed || order[1] != next || !slices.Contains(order, 0) {
		t.Errorf("BootOrder %v, want %04X, %04X, then the stick's 0000", order, committed, next)
	}
	// A legacy layout's entry stays until the first commit: until then it
	// boots the bytes slot A holds.
	if _, ok := entries[product]; ok != w.legacy {
		t.Errorf("legacy entry %q there: %v, want %v", product, ok, w.legacy)
	}
	if num, err := efivar.ReadBootNext(m.vars); err != nil || num != next || res.BootEntry != next {
		t.Errorf("BootNext %04X (%v), result %04X, want %04X", num, err, res.BootEntry, next)
	}
	if got := m.startBootNext(w.disk); !bytes.Equal(got, uki(w.to)) {
		t.Errorf("BootNext does not start the new UKI")
	}
}

// startBootNext is the UKI the firmware runs for BootNext: its loader
// on the ESP, or with shim the second stage in its optional data.
func (m *machine) startBootNext(disk string) []byte {
	m.t.Helper()
	num, err := efivar.ReadBootNext(m.vars)
	if err != nil {
		m.t.Fatal(err)
	}
	o, err := efivar.ReadBootEntry(m.vars, num)
	if err != nil {
		m.t.Fatal(err)
	}
	loader := o.Path().LoaderPath()
	if strings.HasSuffix(strings.ToLower(loader), bootchain.ShimName) {
		if !bytes.Equal(m.readESP(disk, uefiToRel(loader)), shimBytes) {
			m.t.Errorf("the entry's shim %s is not the shim", loader)
		}
		loader = efivar.DecodeUCS2(o.OptionalData)
	}
	return m.readESP(disk, uefiToRel(loader))
}

func uefiToRel(p string) string { return strings.TrimPrefix(strings.ReplaceAll(p, `\`, "/"), "/") }

// legacyEntry adds the boot entry of a layout from before slots: labelled
// with the product, starting the legacy UKI.
func (m *machine) legacyEntry(disk string, shim bool) {
	m.t.Helper()
	e := bootchain.Chain{Shim: shim}.Entry(abslot.LegacyPath(product))
	dp, err := efivar.DiskBootPath(hdOf(m.layouts[disk].ESP), "/"+e.Loader)
	if err != nil {
		m.t.Fatal(err)
	}
	o, err := efivar.NewBootOption(product, dp)
	if err == nil {
		o.OptionalData, err = e.OptionalData()
	}
	if err == nil {
		_, err = efivar.CreateBootEntry(m.vars, o)
	}
	if err != nil {
		m.t.Fatal(err)
	}
}

// TestRunChosen is the interactive way: the operator picks an
// installation from Find's list, and Run upgrades it without answers.
func TestRunChosen(t *testing.T) {
	m := newMachine(t, diskSpec{name: "vda", serial: "SER-A", inst: &inst{product: "Other Co", version: "3.0"}},
		diskSpec{name: "vdb", serial: "SER-B", inst: &inst{product: product, version: "1.0"}}, diskSpec{name: "vdc"})
	found, err := Find(m.env())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range found {
		names = append(names, in.Disk.Disk.Name+" "+in.Product+" "+in.Version+" "+in.Layout+" "+in.Hostname)
	}
	wantNames := []string{"vda Other Co 3.0 slots " + hostname, "vdb Acme DB 1.0 slots " + hostname}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("Find: %q, want %q", names, wantNames)
	}
	if found[1].DataPartUUID != m.layouts["vdb"].Data.GUID || found[1].ESPPartUUID != m.layouts["vdb"].ESP.GUID {
		t.Errorf("vdb's partitions: %+v", found[1])
	}
	before := m.fingerprint()
	cfg, data := m.readESP("vdb", appconfig.RelPath), m.dataSum("vdb")
	_, req := manifest("1.1", false)
	req.Target, req.Mounter = &found[1], m.mounter
	res, err := Run(context.Background(), m.env(), req)
	if err != nil {
		t.Fatal(err)
	}
	m.checkUpgraded(res, want{disk: "vdb", slot: abslot.B, from: "1.0", to: "1.1", committedUKI: uki("1.0")}, cfg, data, before)

	// The same choice again is refused: the disk now has a trial pending.
	m.mounter.calls = nil
	_, err = Run(context.Background(), m.env(), req)
	if install.Code(err) != errcode.UpgradeTrialPending || len(m.mounter.calls) > 0 {
		t.Errorf("second Run: %v (%s)", err, install.Code(err))
	}
}

// TestRefusals: an upgrade that must not happen is refused with its
// code before anything is mounted: every disk and every variable stay
// byte-identical.
func TestRefusals(t *testing.T) {
	acme := func(v string) *inst { return &inst{product: product, version: v} }
	tests := []struct {
		name    string
		disks   []diskSpec
		answers string
		version string
		setup   func(m *machine, env *install.Env, req *Request)
		code    errcode.Code
		msg     string
	}{
		{name: "no installation", disks: []diskSpec{{name: "vda"}, {name: "vdb"}}, code: errcode.UpgradeNoInstallation,
			msg: "no disk holds a Plinth installation"},
		{name: "another product only", disks: []diskSpec{{name: "vda", inst: &inst{product: "Other Co", version: "1.0"}}}, code: errcode.UpgradeNoInstallation,
			msg: "found: [", version: "1.1"},
		{name: "another product selected", disks: []diskSpec{{name: "vda", serial: "SER-A", inst: &inst{product: "Other Co", version: "1.0"}}},
			answers: "mode: upgrade\ndisk: serial:SER-A\n", code: errcode.UpgradeOtherProduct, msg: "holds Other Co 1.0, not Acme DB"},
		{name: "same version", disks: []diskSpec{{name: "vda", inst: acme("1.1")}}, code: errcode.UpgradeNotNewer, msg: "already runs Acme DB 1.1"},
		{name: "older version", disks: []diskSpec{{name: "vda", inst: acme("1.2")}}, code: errcode.UpgradeNotNewer, msg: "newer than this installer's 1.1"},
		{name: "legacy same version", disks: []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.1", legacy: true}}},
			code: errcode.UpgradeNotNewer, msg: "already runs"},
		{name: "versions not comparable", disks: []diskSpec{{name: "vda", inst: acme("nightly")}}, code: errcode.UpgradeNotNewer, msg: "cannot be compared"},
		{name: "two installations", disks: []diskSpec{{name: "vda", inst: acme("1.0")}, {name: "vdb", inst: acme("1.0")}}, code: errcode.DiskAmbiguous,
			msg: "2 disks hold an installation of Acme DB; name the one to upgrade with disk:"},
		{name: "serial names a blank disk", disks: []diskSpec{{name: "vda", inst: acme("1.0")}, {name: "vdb", serial: "SER-B"}},
			answers: "mode: upgrade\ndisk: serial:SER-B\n", code: errcode.UpgradeNoInstallation, msg: "holds no Plinth installation"},
		{name: "serial matches nothing", disks: []diskSpec{{name: "vda", inst: acme("1.0")}}, answers: "mode: upgrade\ndisk: serial:NOPE\n", code: errcode.NoDisk},
		{name: "trial pending", disks: []diskSpec{{name: "vda", inst: &inst{product: product, version: "1.0", trial: true, trialVersion: "1.0.5"}}},
			code: errcode.UpgradeTrialPending, msg: "has Acme DB 1.0.5 staged in slot B"},
		{name: "damaged config", disks: []diskSpec{{name: "vda", serial: "SER-A", inst: &inst{product: product, version: "1.0", damaged: true}}},
			answers: "mode: upgrade\ndisk: serial:SER-A\n", code: errcode.UpgradeNoInstallation, msg: "damaged installation"},
		{name: "boot medium", disks: []diskSpec{{name: "vda", inst: acme("1.0")}}, code: errcode.UpgradeNoInstallation,
			setup: func(m *machine, _ *install.Env, _ *Request) { m.bootFrom("vda") }, msg: "no disk holds a Plinth installation"},
		{name: "damaged payload", disks: []diskSpec{{name: "vda", inst: acme("1.0")}}, code: errcode.PayloadCorrupt,
			setup: func(_ *machine, _ *install.Env, req *Request) { req.UKI = append([]byte(nil), uki("1.2")...) }},
		{name: "answers for an install", disks: []diskSpec{{name: "vda", inst: acme("1.0")}}, answers: "disk: largest\n", code: errcode.Internal,
			msg: "do not say mode: upgrade"},
		{name: "no UEFI variables", disks: []diskSpec{{name: "vda", inst: acme("1.0")}}, code: errcode.BootEntry,
			setup: func(_ *machine, env *install.Env, _ *Request) { env.Vars = nil }},
		{name: "too little memory", disks: []diskSpec{{name: "vda", inst: acme("1.0")}}, code: errcode.MachineTooSmall,
			setup: func(m *machine, env *install.Env, _ *Request) {
				writeFile(t, env.ProcRoot+"/cpuinfo", "processor\t: 0\n")
				writeFile(t, env.ProcRoot+"/meminfo", "MemTotal:  262144 kB\n")
				env.Req.MinRAM = 1 << 30
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, tc.disks...)
			env := m.env()
			_, req := manifest(cmpOr(tc.version, "1.1"), false)
			req.Answers, req.Mounter = parseAnswers(t, cmpOr(tc.answers, "mode: upgrade\n")), m.mounter
			if tc.setup != nil {
				tc.setup(m, &env, &req)
			}
			before := m.fingerprint()
			res, err := Run(context.Background(), env, req)
			if err == nil {
				t.Fatalf("Run succeeded: %+v", res)
			}
			if install.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) || install.Wrote(err) {
				t.Errorf("Run: %v (code %s, wrote %v), want code %s with %q", err, install.Code(err), install.Wrote(err), tc.code, tc.msg)
			}
			var ie *install.Error
			if tc.code != errcode.MachineTooSmall && tc.code != errcode.NoDisk && !errors.As(err, &ie) {
				t.Errorf("error %T is not an *install.Error", err)
			}
			if d := diff(before, m.fingerprint()); len(d) > 0 {
				t.Errorf("changed: %v", d)
			}
			if len(m.mounter.calls) > 0 {
				t.Errorf("mounted: %q", m.mounter.calls)
			}
		})
	}
}

// bootFrom sets LoaderDevicePartUUID to disk's ESP, as systemd-stub does
// when the installer was started from that partition.
func (m *machine) bootFrom(disk string) {
	m.t.Helper()
	b, err := efivar.EncodeUCS2(m.layouts[disk].ESP.GUID.String())
	if err == nil {
		err = m.vars.Set(esp.LoaderDevicePartUUIDVar, esp.LoaderVendor(), efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, b)
	}
	if err != nil {
		m.t.Fatal(err)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// refuseBootNext is firmware that refuses to set BootNext.
type refuseBootNext struct{ *efivar.MemStore }

func (r refuseBootNext) Set(name string, vendor guid.GUID, attrs uint32, data []byte) error {
	if name == "BootNext" {
		return errors.New("firmware: out of resources")
	}
	return r.MemStore.Set(name, vendor, attrs, data)
}

// TestRunFailsSafe: when the trial cannot be armed after the new version
// was written, the error says the disk was written, the ESP is unmounted,
// and the firmware still boots the installed version: BootOrder starts
// with its entry, no BootNext, its UKI and fallback copy untouched.
func TestRunFailsSafe(t *testing.T) {
	m := newMachine(t, diskSpec{name: "vda", inst: &inst{product: product, version: "1.0"}})
	env := m.env()
	env.Vars = refuseBootNext{m.vars}
	_, req := manifest("1.1", false)
	req.Answers, req.Mounter = parseAnswers(t, "mode: upgrade\n"), m.mounter
	_, err := Run(context.Background(), env, req)
	if install.Code(err) != errcode.UpgradeWrite || !install.Wrote(err) || !strings.Contains(err.Error(), "could not be armed") {
		t.Fatalf("Run: %v (code %s, wrote %v), want upgrade-write after writing", err, install.Code(err), install.Wrote(err))
	}
	if len(m.mounter.mounted) > 0 || m.mounter.calls[len(m.mounter.calls)-1] != "unmount" {
		t.Errorf("the ESP was left mounted: %q", m.mounter.calls)
	}
	if _, err := efivar.ReadBootNext(m.vars); !errors.Is(err, efivar.ErrNotFound) {
		t.Errorf("BootNext is set: %v", err)
	}
	order, _ := efivar.ReadBootOrder(m.vars)
	if a := m.entries()[product+" A"]; len(order) == 0 || order[0] != a.Num {
		t.Errorf("BootOrder %v does not start with slot A's entry %04X", order, a.Num)
	}
	for _, p := range []string{abslot.A.Path(), disklayout.FallbackPath} {
		if !bytes.Equal(m.readESP("vda", p), uki("1.0")) {
			t.Errorf("%s no longer holds the installed UKI", p)
		}
	}
	st, err := abslot.ParseState(m.readESP("vda", abslot.StatePath))
	if err != nil || st.Committed != abslot.A || (st.Trial != nil && st.Trial.Armed) {
		t.Errorf("state %+v (%v): want A committed and no armed trial", st, err)
	}
}
