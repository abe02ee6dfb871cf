package abslot

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/efivar"
)

// running is an installed ESP that Repair has set up and the firmware
// has booted from: slot A, v1.
func running(t *testing.T, chain bootchain.Chain) *fixture {
	t.Helper()
	f := newFixture(t, chain)
	f.repair()
	if got := f.boot(); got != A.Path() {
		t.Fatalf("first boot started %s, want slot A", got)
	}
	return f
}

func (f *fixture) stage(s *Slots, version string) Slot {
	f.t.Helper()
	b := uki(version)
	slot, err := s.Stage(f.vars, bytes.NewReader(b), int64(len(b)), ukiSum(version), version)
	if err != nil {
		f.t.Fatal(err)
	}
	return slot
}

// update stages version, tries it, boots it and commits it, as the
// appliance does, and returns the slot it went to.
func (f *fixture) update(version string) Slot {
	f.t.Helper()
	s := f.open(nil)
	slot := f.stage(s, version)
	if err := s.Trial(f.vars, slot); err != nil {
		f.t.Fatal(err)
	}
	if got := f.boot(); got != slot.Path() {
		f.t.Fatalf("trial boot started %s, want %s", got, slot.Path())
	}
	s = f.open(nil)
	if tr, err := s.InTrial(f.vars); err != nil || tr == nil || tr.Slot != slot {
		f.t.Fatalf("InTrial = %+v, %v; want slot %s", tr, err, slot)
	}
	if err := s.Commit(f.vars, slot); err != nil {
		f.t.Fatal(err)
	}
	return slot
}

func TestStage(t *testing.T) {
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			f := running(t, c.chain)
			vars := f.varsSnapshot()
			files := f.snapshot()
			if slot := f.stage(f.open(nil), "v2"); slot != B {
				t.Fatalf("staged slot %s, want B", slot)
			}
			if got := f.version(B.Path()); got != "v2" {
				t.Errorf("slot B holds %s", got)
			}
			st := f.checkSettled()
			if b := st.B; b.Status != Staged || b.Version != "v2" || b.Size != int64(len(uki("v2"))) {
				t.Errorf("slot B state %+v", b)
			}
			if !maps.EqualFunc(vars, f.varsSnapshot(), bytes.Equal) {
				t.Error("Stage wrote variables")
			}
			after := f.snapshot()
			for p, b := range files {
				if p != StatePath && !bytes.Equal(after[p], b) {
					t.Errorf("Stage changed %s", p)
				}
			}
		})
	}
}

// TestStageRefuses feeds Stage bad streams and bad moments: the committed
// chain, the variables and (for a bad stream) the slot's old file stay
// byte-identical, and the slot is recorded as failed or left alone.
func TestStageRefuses(t *testing.T) {
	v2 := uki("v2")
	cases := []struct {
		name   string
		setup  func(f *fixture)
		r      io.Reader
		size   int64
		sum    [32]byte
		err    string
		status Status // slot B's status afterwards: damage leaves it empty, not failed
	}{
		{name: "wrong digest", r: bytes.NewReader(v2), size: int64(len(v2)), sum: ukiSum("v3"), err: "SHA-256 mismatch", status: Empty},
		{name: "short stream", r: bytes.NewReader(v2[:100]), size: int64(len(v2)), sum: ukiSum("v2"), err: "stream ended", status: Empty},
		{name: "size too small", r: bytes.NewReader(v2), size: 100, sum: ukiSum("v2"), err: "SHA-256 mismatch", status: Empty},
		{name: "running from slot B", setup: func(f *fixture) {
			f.setBootCurrent(f.entry(product + " B"))
		}, r: bytes.NewReader(v2), size: int64(len(v2)), sum: ukiSum("v2"), err: "is running", status: Staged},
		{name: "boot unknown", setup: func(f *fixture) {
			f.setBootCurrent(0) // the shell on another disk
		}, r: bytes.NewReader(v2), size: int64(len(v2)), sum: ukiSum("v2"), err: "cannot tell", status: Staged},
		{name: "trial recorded", setup: func(f *fixture) {
			if err := f.open(nil).Trial(f.vars, B); err != nil {
				f.t.Fatal(err)
			}
		}, r: bytes.NewReader(v2), size: int64(len(v2)), sum: ukiSum("v2"), err: "a trial of slot B", status: Staged},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := running(t, bootchain.Chain{Shim: true})
			f.stage(f.open(nil), "v4") // slot B holds something to keep
			if c.setup != nil {
				c.setup(f)
			}
			files, vars := f.snapshot(), f.varsSnapshot()
			s := f.open(nil)
			_, err := s.Stage(f.vars, c.r, c.size, c.sum, "v2")
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Stage: %v, want an error with %q", err, c.err)
			}
			after := f.snapshot()
			for p, b := range files {
				if p != StatePath && !bytes.Equal(after[p], b) {
					t.Errorf("Stage changed %s", p)
				}
			}
			if len(after) != len(files) {
				t.Errorf("Stage left files: %v", slices.Sorted(maps.Keys(after)))
			}
			if !maps.EqualFunc(vars, f.varsSnapshot(), bytes.Equal) {
				t.Error("Stage wrote variables")
			}
			st := f.checkSettled()
			if st.B.Status != c.status {
				t.Errorf("slot B %+v, want status %s", st.B, c.status)
			}
			if c.status == Empty && st.B.Version != "" {
				t.Errorf("slot B %+v: a damaged copy of v2 marks v2 failed here, and a good one would be refused", st.B)
			}
		})
	}
}

// TestStageOutside: an installer booted from its own medium (BootCurrent
// is the shell on another disk, which Booted cannot place) stages into
// the slot that is not committed when the ESP is marked Outside, and the
// trial it arms boots that slot.
func TestStageOutside(t *testing.T) {
	f := running(t, bootchain.Chain{})
	f.setBootCurrent(0) // the shell on another disk
	if _, err := f.open(nil).Stage(f.vars, bytes.NewReader(uki("v2")), int64(len(uki("v2"))), ukiSum("v2"), "v2"); err == nil {
		t.Fatal("Stage from an unknown boot succeeded without Outside")
	}
	f.esp.Outside = true
	s := f.open(nil)
	if slot := f.stage(s, "v2"); slot != B {
		t.Fatalf("staged slot %s, want B", slot)
	}
	if err := s.Trial(f.vars, B); err != nil {
		t.Fatal(err)
	}
	if got := f.boot(); got != B.Path() {
		t.Errorf("the trial boot started %s, want slot B", got)
	}
}

func TestTrial(t *testing.T) {
	f := running(t, bootchain.Chain{})
	s := f.open(nil)
	f.stage(s, "v2")
	order := f.bootOrder()
	if err := s.Trial(f.vars, B); err != nil {
		t.Fatal(err)
	}
	if n, err := efivar.ReadBootNext(f.vars); err != nil || n != f.entry(product+" B") {
		t.Errorf("BootNext = %d, %v; want slot B's entry %d", n, err, f.entry(product+" B"))
	}
	if !slices.Equal(order, f.bootOrder()) {
		t.Errorf("Trial changed BootOrder %v to %v", order, f.bootOrder())
	}
	st := f.checkSettled()
	want := TrialRecord{Slot: B, Version: "v2", FromVersion: "v1", Started: testNow, Armed: true}
	if st.Trial == nil || *st.Trial != want {
		t.Errorf("trial %+v, want %+v", st.Trial, want)
	}
	for _, slot := range []Slot{A, ""} {
		if err := s.Trial(f.vars, slot); err == nil {
			t.Errorf("Trial(%q) succeeded", slot)
		}
	}
}

// TestTrialDamagedSlot: a staged slot whose file changed since is not
// tried, and is marked failed.
func TestTrialDamagedSlot(t *testing.T) {
	f := running(t, bootchain.Chain{})
	f.stage(f.open(nil), "v2")
	f.write(B.Path(), uki("v3"))
	if err := f.open(nil).Trial(f.vars, B); err == nil {
		t.Fatal("Trial of a damaged slot succeeded")
	}
	if _, err := efivar.ReadBootNext(f.vars); !errors.Is(err, efivar.ErrNotFound) {
		t.Errorf("BootNext is set: %v", err)
	}
	if st := f.checkSettled(); st.B.Status != Failed {
		t.Errorf("slot B %+v, want failed", st.B)
	}
}

func TestCommit(t *testing.T) {
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			f := running(t, c.chain)
			before := f.varsSnapshot()
			if slot := f.update("v2"); slot != B {
				t.Fatalf("update went to %s", slot)
			}
			st := f.checkSettled()
			if st.Committed != B || st.Trial != nil || st.A.Status != Committed || st.B.Status != Committed {
				t.Errorf("state %+v", st)
			}
			f.checkForeign(before)
			if changes, ops := f.repair(); len(changes) != 0 || len(ops) != 0 {
				t.Errorf("Repair after Commit changed %q (%q)", changes, ops)
			}
			if got := f.boot(); got != B.Path() {
				t.Errorf("next boot started %s, want slot B", got)
			}
			// The next update goes to A, never the committed B.
			if slot := f.update("v3"); slot != A {
				t.Errorf("second update went to %s, want A", slot)
			}
			st = f.checkSettled()
			if st.Committed != A || st.B.Version != "v2" || f.version(B.Path()) != "v2" {
				t.Errorf("after the second update: %+v, slot B holds %s", st, f.version(B.Path()))
			}
		})
	}
}

func TestCommitRefuses(t *testing.T) {
	f := running(t, bootchain.Chain{})
	s := f.open(nil)
	if err := s.Commit(f.vars, B); err == nil || !strings.Contains(err.Error(), "no trial") {
		t.Errorf("Commit without a trial: %v", err)
	}
	f.stage(s, "v2")
	if err := s.Trial(f.vars, B); err != nil {
		t.Fatal(err)
	}
	// Not rebooted yet: this is still the boot of slot A.
	if err := s.Commit(f.vars, B); err == nil || !strings.Contains(err.Error(), "not the trial slot") {
		t.Errorf("Commit from slot A: %v", err)
	}
	if err := s.Commit(f.vars, A); err == nil {
		t.Error("Commit of the committed slot succeeded")
	}
	f.checkSettled()
}

func TestRolledBack(t *testing.T) {
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			f := running(t, c.chain)
			s := f.open(nil)
			f.stage(s, "v2")
			if err := s.Trial(f.vars, B); err != nil {
				t.Fatal(err)
			}
			// Before the reboot, nothing has failed.
			if rb, err := s.RolledBack(f.vars); rb != nil || err != nil {
				t.Fatalf("RolledBack before the reboot = %+v, %v", rb, err)
			}
			if got := f.boot(); got != B.Path() {
				t.Fatalf("trial boot started %s", got)
			}
			// The trial panics; the watchdog resets; the firmware falls back.
			if got := f.boot(); got != A.Path() {
				t.Fatalf("boot after the failed trial started %s, want slot A", got)
			}
			s = f.open(nil)
			rb, err := s.RolledBack(f.vars)
			want := FailedTrial{Slot: B, Version: "v2", FromVersion: "v1", Started: testNow, Reason: RolledBackReason}
			if err != nil || rb == nil || *rb != want {
				t.Fatalf("RolledBack = %+v, %v; want %+v", rb, err, want)
			}
			st := f.checkSettled()
			if st.Trial != nil || st.B.Status != Failed || st.B.Reason != RolledBackReason {
				t.Errorf("state after the rollback %+v", st)
			}
			if rb, err := s.RolledBack(f.vars); rb != nil || err != nil {
				t.Errorf("second RolledBack = %+v, %v", rb, err)
			}
			// The next update may go to B again.
			if slot := f.update("v3"); slot != B {
				t.Errorf("update after the rollback went to %s", slot)
			}
		})
	}
}

// TestTrialNeverStarted: the machine went down after the trial was
// recorded and before BootNext was set. That is no failed update.
func TestTrialNeverStarted(t *testing.T) {
	f := running(t, bootchain.Chain{})
	s := f.open(nil)
	f.stage(s, "v2")
	// No variable may be written: Repair has nothing to do, and the
	// first write is BootNext.
	if err := s.Trial(cutStore{f.vars, &power{left: 0}}, B); !errors.Is(err, errCut) {
		t.Fatalf("Trial: %v, want the cut at BootNext", err)
	}
	if got := f.boot(); got != A.Path() {
		t.Fatalf("boot started %s", got)
	}
	s = f.open(nil)
	if rb, err := s.RolledBack(f.vars); rb != nil || err != nil {
		t.Fatalf("RolledBack = %+v, %v; want nothing", rb, err)
	}
	if st := f.checkSettled(); st.Trial != nil || st.B.Status != Staged {
		t.Errorf("state %+v, want no trial and B staged", st)
	}
}

func TestAbandon(t *testing.T) {
	cases := []struct {
		name   string
		reboot bool // abandoned in the trial boot, or before it
	}{{"in the trial boot", true}, {"before the reboot", false}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := running(t, bootchain.Chain{})
			s := f.open(nil)
			f.stage(s, "v2")
			if err := s.Trial(f.vars, B); err != nil {
				t.Fatal(err)
			}
			if c.reboot {
				f.boot()
				s = f.open(nil)
			}
			ft, err := s.Abandon(f.vars, "health: etcd did not answer")
			if err != nil || ft == nil || ft.Slot != B || ft.Reason != "health: etcd did not answer" {
				t.Fatalf("Abandon = %+v, %v", ft, err)
			}
			if _, err := efivar.ReadBootNext(f.vars); !errors.Is(err, efivar.ErrNotFound) {
				t.Errorf("BootNext still set: %v", err)
			}
			if got := f.boot(); got != A.Path() {
				t.Errorf("boot after Abandon started %s, want slot A", got)
			}
			if st := f.checkSettled(); st.Trial != nil || st.B.Status != Failed {
				t.Errorf("state %+v", st)
			}
			// The committed version, booted again, reports the trial's
			// failure with its reason, once.
			s = f.open(nil)
			rb, err := s.RolledBack(f.vars)
			if err != nil || rb == nil || rb.Version != "v2" || rb.Reason != "health: etcd did not answer" {
				t.Errorf("RolledBack after Abandon = %+v, %v", rb, err)
			}
			if rb, err := s.RolledBack(f.vars); err != nil || rb != nil {
				t.Errorf("RolledBack again = %+v, %v; want nothing", rb, err)
			}
		})
	}
}

func TestBooted(t *testing.T) {
	fallback := func(f *fixture) uint16 {
		dp, _ := efivar.DiskBootPath(testHD, "/EFI/BOOT/BOOTX64.EFI")
		o, _ := efivar.NewBootOption("UEFI Misc Device", dp)
		if err := efivar.WriteBootEntry(f.vars, 0x20, o); err != nil {
			f.t.Fatal(err)
		}
		return 0x20
	}
	cases := []struct {
		name    string
		current func(f *fixture) uint16 // what BootCurrent names
		want    Slot
		how     string // part of how
	}{
		{"slot A", func(f *fixture) uint16 { return f.entry(product + " A") }, A, "starts slot A"},
		{"slot B", func(f *fixture) uint16 { return f.entry(product + " B") }, B, "starts slot B"},
		{"fallback path", fallback, A, "removable-media path"},
		{"device", func(*fixture) uint16 { return 2 }, A, "names a device"},
		{"shell on another disk", func(*fixture) uint16 { return 0 }, "", "none of this ESP's slots"},
		{"missing entry", func(*fixture) uint16 { return 0x99 }, "", "Boot0099"},
	}
	for _, ch := range chains {
		for _, c := range cases {
			t.Run(ch.name+"/"+c.name, func(t *testing.T) {
				f := running(t, ch.chain)
				f.setBootCurrent(c.current(f))
				slot, how, err := f.open(nil).Booted(f.vars)
				if c.want == "" {
					if err == nil || !strings.Contains(err.Error(), c.how) {
						t.Errorf("Booted = %s, %q, %v; want an error with %q", slot, how, err, c.how)
					}
					return
				}
				if err != nil || slot != c.want || !strings.Contains(how, c.how) {
					t.Errorf("Booted = %s, %q, %v; want %s, %q", slot, how, err, c.want, c.how)
				}
			})
		}
	}
	t.Run("no BootCurrent", func(t *testing.T) {
		f := newFixture(t, bootchain.Chain{})
		if _, _, err := f.open(nil).Booted(f.vars); !errors.Is(err, efivar.ErrNotFound) {
			t.Errorf("Booted: %v, want ErrNotFound", err)
		}
	})
}
