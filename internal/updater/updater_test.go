package updater

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"crypto/x509"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/supervise"
	"github.com/plinth-os/plinth/internal/testcert"
)

const product = "Acme DB"

var testHD = efivar.GPTHardDrive(1, 2048, 1048576, guid.MustParse("11111111-2222-3333-4444-555555555555"))

func uki(version string) []byte { return bytes.Repeat([]byte("MZ runtime "+version+"\n"), 500) }

// machine is an installed ESP in a directory, its variables, and the
// appliance's side: the running version and the events.
type machine struct {
	t       *testing.T
	root    string
	vars    *efivar.MemStore
	key     *testcert.Pair
	events  bytes.Buffer
	running string
	reboots []string
}

// install makes an ESP as the installer leaves it, with version in
// slot A, and boots it.
func install(t *testing.T, version string) *machine {
	m := &machine{t: t, root: t.TempDir(), vars: efivar.NewMemStore(), key: testcert.Must(t, "Acme update signing", testcert.Options{})}
	b := uki(version)
	st, err := abslot.NewState(version, int64(len(b)), sha256.Sum256(b)).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m.write(abslot.A.Path(), b)
	m.write("EFI/BOOT/BOOTX64.EFI", b)
	m.write(abslot.StatePath, st)
	m.running = version
	m.updater() // the first boot repairs: the slots' entries
	m.boot()
	return m
}

func (m *machine) write(rel string, b []byte) {
	p := filepath.Join(m.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
		err = os.WriteFile(p, b, 0o644)
	}
}

// updater opens the slots as the appliance does at boot and runs Boot
// and Repair.
func (m *machine) updater() (*Updater, *abslot.TrialRecord) {
	m.t.Helper()
	s, err := abslot.Open(abslot.ESP{Root: m.root, HD: testHD, Product: product})
	if err != nil {
		m.t.Fatal(err)
	}
	u := New(Options{Product: product, Version: m.running, Trusted: []*x509.Certificate{m.key.Cert}, Slots: s, Vars: m.vars,
		Events: event.New(&m.events), Log: m.t.Logf, Reboot: func(why string) { m.reboots = append(m.reboots, why) }})
	trial, err := u.Boot()
	if err != nil {
		m.t.Fatal(err)
	}
	u.Repair()
	return u, trial
}

// boot does what the firmware does: BootNext once (deleted first), else
// BootOrder's first entry that loads; the running version is the one in
// the UKI it started. Before the first Repair there are no entries: the
// fallback loader starts.
func (m *machine) boot() {
	m.t.Helper()
	m.reboots = nil
	var try []uint16
	if n, err := efivar.ReadBootNext(m.vars); err == nil {
		try = append(try, n)
		efivar.DeleteBootNext(m.vars)
	}
	order, _ := efivar.ReadBootOrder(m.vars)
	for _, n := range append(try, order...) {
		o, err := efivar.ReadBootEntry(m.vars, n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.root, filepath.FromSlash(strings.ReplaceAll(strings.TrimPrefix(o.Path().LoaderPath(), `\`), `\`, "/"))))
		if err != nil {
			continue
		}
		m.vars.Set("BootCurrent", efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, []byte{byte(n), byte(n >> 8)})
		m.running = versionOf(b)
		return
	}
	b, err := os.ReadFile(filepath.Join(m.root, "EFI/BOOT/BOOTX64.EFI"))
	if err != nil {
		m.t.Fatal("nothing to boot")
	}
	m.running = versionOf(b)
}

func versionOf(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimPrefix(line, "MZ runtime ")
}

// bundleOf is a bundle of version for product, signed by key.
func bundleOf(t *testing.T, prod, version string, key *testcert.Pair, edit func(*bundle.Manifest)) []byte {
	t.Helper()
	m := bundle.Manifest{Product: prod, Version: version, Built: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if edit != nil {
		edit(&m)
	}
	b := uki(version)
	var out bytes.Buffer
	if err := bundle.Write(&out, m, []bundle.Part{{Name: bundle.PartRuntime, Size: int64(len(b)), Data: bytes.NewReader(b)}}, key.Key, key.Cert); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// healthy is a supervisor watch that reports healthy now.
func healthy() <-chan supervise.Overall {
	c := make(chan supervise.Overall, 1)
	c <- supervise.Overall{Health: servicestate.HealthHealthy}
	return c
}

// An update goes through: staged in B, BootNext, reboot; the trial boot
// commits once healthy; the next boot runs it from BootOrder.
func TestUpdateCommits(t *testing.T) {
	m := install(t, "v1")
	u, trial := m.updater()
	if trial != nil {
		t.Fatal("a fresh install is not a trial")
	}
	if err := u.Apply(bytes.NewReader(bundleOf(t, product, "v2", m.key, nil)), "test"); err == nil || len(m.reboots) != 1 {
		t.Fatalf("Apply: %v, reboots %q", err, m.reboots)
	}
	m.boot()
	if m.running != "v2" {
		t.Fatalf("the trial boot runs %s", m.running)
	}
	u, trial = m.updater()
	if trial == nil || trial.Version != "v2" || u.Previous(trial) != "v1" || !u.TrialOpen() {
		t.Fatalf("trial %+v", trial)
	}
	if !u.Confirm(context.Background(), Trial{Record: trial, Watch: healthy(), CommitAfter: time.Millisecond, Timeout: time.Minute, Started: time.Now()}) {
		t.Fatalf("not committed:\n%s", m.events.String())
	}
	m.boot()
	u, trial = m.updater()
	if m.running != "v2" || trial != nil || u.Previous(nil) != "v1" {
		t.Errorf("after commit: running %s, trial %+v, previous %q", m.running, trial, u.Previous(nil))
	}
	for _, ev := range []string{`"update-staged"`, `"update-committed"`} {
		if !strings.Contains(m.events.String(), ev) {
			t.Errorf("no %s event:\n%s", ev, m.events.String())
		}
	}
}

// A trial that never gets healthy gives up with the reason; the
// committed version boots and reports update-rolled-back with it, and
// the version is not taken again.
func TestUpdateRollsBackUnhealthy(t *testing.T) {
	m := install(t, "v1")
	u, _ := m.updater()
	u.Apply(bytes.NewReader(bundleOf(t, product, "v2", m.key, nil)), "test")
	m.boot()
	u, trial := m.updater()
	watch := make(chan supervise.Overall, 1)
	watch <- supervise.Overall{Health: servicestate.HealthUnhealthy}
	if u.Confirm(context.Background(), Trial{Record: trial, Watch: watch, CommitAfter: time.Second, Timeout: 50 * time.Millisecond, Started: time.Now()}) {
		t.Fatal("an unhealthy trial committed")
	}
	if len(m.reboots) != 1 || !strings.Contains(m.events.String(), `"update-failed"`) {
		t.Fatalf("reboots %q, events:\n%s", m.reboots, m.events.String())
	}
	m.boot()
	if m.running != "v1" {
		t.Fatalf("after the failed trial the firmware started %s", m.running)
	}
	m.events.Reset()
	u, _ = m.updater()
	if !strings.Contains(m.events.String(), `"update-rolled-back","version":"v2","running":"v1","reason":"not every service was healthy`) {
		t.Errorf("no update-rolled-back with the reason:\n%s", m.events.String())
	}
	err := u.Apply(bytes.NewReader(bundleOf(t, product, "v2", m.key, nil)), "test")
	var re *RefusedError
	if !errors.As(err, &re) || re.Code != bundle.RefusedFailedBefore || !strings.Contains(re.Reason, "failed its trial on this appliance before (not every service was healthy") {
		t.Errorf("v2 again: %v", err)
	}
}

// A trial boot that crashes (the firmware boots BootOrder after BootNext
// was used) is reported by the committed version.
func TestUpdateRollsBackCrash(t *testing.T) {
	m := install(t, "v1")
	u, _ := m.updater()
	u.Apply(bytes.NewReader(bundleOf(t, product, "v2", m.key, nil)), "test")
	m.boot() // the trial boot starts ...
	m.updater()
	m.boot() // ... and panics: no BootNext any more
	m.events.Reset()
	m.updater()
	if m.running != "v1" || !strings.Contains(m.events.String(), `"update-rolled-back","version":"v2","running":"v1","reason":"`+abslot.RolledBackReason) {
		t.Errorf("running %s, events:\n%s", m.running, m.events.String())
	}
}

// Bundles that must not be applied are refused before a slot is written.
func TestUpdateRefusals(t *testing.T) {
	m := install(t, "v2")
	other := testcert.Must(t, "Someone else", testcert.Options{})
	tampered := bundleOf(t, product, "v3", m.key, nil)
	tampered[len(tampered)-10] ^= 1
	tests := []struct {
		name   string
		bundle []byte
		code   bundle.RefusalCode
		want   string
	}{
		{"another product", bundleOf(t, "Other", "v3", m.key, nil), bundle.RefusedProduct, "this appliance runs Acme DB"},
		{"untrusted signer", bundleOf(t, product, "v3", other, nil), bundle.RefusedUntrusted, "does not trust"},
		{"same version", bundleOf(t, product, "v2", m.key, nil), bundle.RefusedNotNewer, "running version"},
		{"older", bundleOf(t, product, "v1", m.key, nil), bundle.RefusedDowngrade, "older than the running v2"},
		{"min version", bundleOf(t, product, "v4", m.key, func(b *bundle.Manifest) { b.MinVersion = "v3" }), bundle.RefusedIntermediate, "updates only v3 or later"},
		{"tampered part", tampered, bundle.RefusedDamaged, "changed after it was signed"},
		{"not a bundle", []byte("hello"), bundle.RefusedDamaged, "truncated in the header"},
	}
	for _, tt := range tests {
		u, _ := m.updater()
		before, _ := os.ReadFile(filepath.Join(m.root, abslot.A.Path()))
		err := u.Apply(bytes.NewReader(tt.bundle), "test")
		var re *RefusedError
		if !errors.As(err, &re) || re.Code != tt.code || !strings.Contains(re.Reason, tt.want) {
			t.Errorf("%s: %v, want refused (%s) with %q", tt.name, err, tt.code, tt.want)
		}
		if after, _ := os.ReadFile(filepath.Join(m.root, abslot.A.Path())); !bytes.Equal(before, after) || len(m.reboots) > 0 {
			t.Errorf("%s: the committed slot changed or a reboot was asked for", tt.name)
		}
		if _, err := efivar.ReadBootNext(m.vars); err == nil {
			t.Errorf("%s: BootNext set", tt.name)
		}
	}
	u, _ := m.updater()
	if err := u.Apply(bytes.NewReader(bundleOf(t, product, "v1", m.key, func(b *bundle.Manifest) { b.Downgrade = true })), "test"); err == nil || len(m.reboots) != 1 {
		t.Errorf("a bundle that may downgrade: %v", err)
	}
}
