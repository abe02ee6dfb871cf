package abslot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/plinth-os/plinth/internal/bootchain"
)

// cutRun is one run of the appliance's update path with the power cut
// after a number of writes.
type cutRun struct {
	f       *fixture
	p       *power
	s       *Slots
	phase   string
	abandon bool // the trial fails its health check
	healthy bool // v2 booted as a trial and passed its health check
}

// run does, until the cut: the first boot's Repair of a fresh install,
// Stage of v2, Trial, the reboot into it, the trial boot's checks, and
// Commit (or Abandon).
func (r *cutRun) run() error {
	f := r.f
	vars := cutStore{f.vars, r.p}
	type step struct {
		phase string
		do    func() error
	}
	steps := []step{
		{"repair", func() error { _, err := r.s.Repair(vars); return err }},
		{"stage", func() error {
			b := uki("v2")
			_, err := r.s.Stage(vars, bytes.NewReader(b), int64(len(b)), ukiSum("v2"), "v2")
			return err
		}},
		{"trial", func() error { return r.s.Trial(vars, B) }},
		{"reboot", func() error { f.boot(); r.s = f.open(r.p); return nil }},
		{"boot checks", func() error { return r.bootChecks(vars) }},
		{"commit", func() error { r.healthy = true; return r.s.Commit(vars, B) }},
	}
	if r.abandon {
		steps[len(steps)-1] = step{"abandon", func() error { _, err := r.s.Abandon(vars, "unhealthy"); return err }}
	}
	for _, st := range steps {
		r.phase = st.phase
		if err := st.do(); err != nil {
			return err
		}
	}
	return nil
}

func (r *cutRun) bootChecks(vars cutStore) error {
	if _, err := r.s.RolledBack(vars); err != nil {
		return err
	}
	if _, err := r.s.Repair(vars); err != nil {
		return err
	}
	t, err := r.s.InTrial(vars)
	if err == nil && t == nil {
		err = errors.New("the reboot after Trial is not the trial")
	}
	return err
}

// TestPowerCut cuts the power after each write of an update in turn (a
// variable set or delete, a temporary file created, renamed or removed)
// and checks what the firmware would boot then: BootOrder's first entry
// it can start, and the removable-media fallback, must hold a version
// that has booted healthy. Then it boots, runs the appliance's boot
// sequence without cuts, and checks that the ESP settles and that a
// whole update still works.
func TestPowerCut(t *testing.T) {
	for _, c := range chains {
		for _, abandon := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/abandon=%v", c.name, abandon), func(t *testing.T) { powerCuts(t, c.chain, abandon) })
		}
	}
}

func powerCuts(t *testing.T, chain bootchain.Chain, abandon bool) {
	cuts := 0
	for n := 0; ; n++ {
		f := newFixture(t, chain)
		f.boot()
		r := &cutRun{f: f, p: &power{left: n}, abandon: abandon}
		r.s = f.open(r.p)
		err := r.run()
		if err == nil {
			break
		}
		if !errors.Is(err, errCut) {
			t.Fatalf("cut after %d writes (%s): %v", n, r.phase, err)
		}
		cuts++
		t.Run(fmt.Sprintf("cut %d in %s", n, r.phase), func(t *testing.T) {
			f.t = t
			r.checkCut()
			r.recover()
		})
	}
	if cuts < 10 {
		t.Errorf("only %d cut points", cuts)
	}
}

// good are the versions the firmware may fall back to: v1, and v2 once
// it has passed its health check in the trial boot.
func (r *cutRun) good() []string {
	if r.healthy {
		return []string{"v1", "v2"}
	}
	return []string{"v1"}
}

// checkCut checks what the firmware boots by default right after the cut.
func (r *cutRun) checkCut() {
	f := r.f
	if _, err := ParseState(f.read(StatePath)); err != nil {
		f.t.Fatalf("slots.json after the cut: %v", err)
	}
	order, _ := f.readOrder()
	first := "nothing"
	for _, n := range order {
		if uki, ok := f.start(n); ok {
			first = f.version(uki)
			break
		}
	}
	if !slices.Contains(r.good(), first) {
		f.t.Errorf("BootOrder %v starts %s; want one of %v (writes before the cut: %q)", order, first, r.good(), r.p.ops)
	}
	if v := f.version(f.fallbackUKI()); !slices.Contains(r.good(), v) {
		f.t.Errorf("the fallback path holds %s; want one of %v", v, r.good())
	}
}

// recover boots and runs the appliance's boot sequence, committing a
// trial it finds itself in, then checks the ESP settled and an update
// still goes through.
func (r *cutRun) recover() {
	f := r.f
	_, trialNext := f.readBootNext()
	booted := f.version(f.boot())
	if !slices.Contains(r.good(), booted) && !(trialNext && booted == "v2") {
		f.t.Errorf("the boot after the cut started %s", booted)
	}
	s := f.open(nil)
	if _, _, err := s.Booted(f.vars); err != nil {
		f.t.Fatal(err)
	}
	if _, err := s.RolledBack(f.vars); err != nil {
		f.t.Fatal(err)
	}
	if _, err := s.Repair(f.vars); err != nil {
		f.t.Fatal(err)
	}
	if tr, err := s.InTrial(f.vars); err != nil {
		f.t.Fatal(err)
	} else if tr != nil {
		if err := s.Commit(f.vars, tr.Slot); err != nil {
			f.t.Fatal(err)
		}
	}
	st := f.checkSettled()
	f.boot()
	slot := f.update("v3")
	if slot == st.Committed {
		f.t.Errorf("update went to the committed slot %s", slot)
	}
	if st := f.checkSettled(); st.Slot(st.Committed).Version != "v3" {
		f.t.Errorf("after the update the committed version is %s", st.Slot(st.Committed).Version)
	}
}
