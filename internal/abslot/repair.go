package abslot

import (
	"fmt"
	"path"

	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/efivar"
)

// Repair makes the ESP and the boot variables agree with slots.json:
// the committed slot's UKI has its recorded SHA-256 (restored from the
// fallback copy if that still has it), the fallback chain in EFI\BOOT is
// a copy of the committed slot's chain, both slots' entries exist and
// are right, and BootOrder starts with the committed slot's entry, then
// the other slot's. Every file and variable is compared before it is
// written, and nothing is written when all is right: NVRAM and flash
// wear. It returns what it changed, for the log. Run it at every boot,
// after Booted.
func (s *Slots) Repair(vars efivar.Store) ([]string, error) {
	st, err := s.opened("repair")
	if err != nil {
		return nil, err
	}
	changes, err := s.repairCommitted(st)
	if err != nil {
		return changes, err
	}
	c, err := s.syncFallback(st.Committed, st.Slot(st.Committed).digest())
	changes = append(changes, c...)
	if err != nil {
		return changes, err
	}
	c, err = s.syncEntries(vars, st.Committed)
	return append(changes, c...), err
}

// syncEntries makes both entries right and puts committed first.
func (s *Slots) syncEntries(vars efivar.Store, committed Slot) ([]string, error) {
	nums, dups, changes, err := s.ensureEntries(vars)
	if err != nil {
		return changes, err
	}
	c, err := s.setOrder(vars, committed, nums, dups)
	return append(changes, c...), err
}

// repairCommitted checks the committed slot's UKI against its recorded
// digest. A damaged or missing one is restored from the fallback copy of
// the UKI when that still has the digest; if neither has it there is no
// good copy to boot, and that is an error (nothing is overwritten).
func (s *Slots) repairCommitted(st *State) ([]string, error) {
	slot := st.Committed
	want := st.Slot(slot).digest()
	ok, err := s.files.has(slot.Path(), want)
	if err != nil || ok {
		return nil, wrapRepair(err)
	}
	fallback := s.fallbackUKI(slot)
	good, err := s.files.has(fallback, want)
	if err != nil {
		return nil, wrapRepair(err)
	}
	if !good {
		return nil, fmt.Errorf("abslot: repair: neither the committed slot %s (%s) nor its fallback copy %s has the recorded SHA-256 %s", slot, slot.Path(), fallback, st.Slot(slot).SHA256)
	}
	if err := s.files.copyFile(fallback, slot.Path(), want); err != nil {
		return nil, wrapRepair(err)
	}
	return []string{fmt.Sprintf("restored slot %s (%s) from %s", slot, slot.Path(), fallback)}, nil
}

func wrapRepair(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("abslot: repair: %w", err)
}

// copyJob is one fallback file and the file beside the slot it copies.
type copyJob struct{ src, dst string }

// fallbackCopies lists the files outside the slot's directory that the
// chain needs for slot (the removable-media copies) and, for each, the
// file of the same binary in the slot's directory that it copies: the
// slot's UKI, or with shim, shim and MokManager, which the slots share.
func (s *Slots) fallbackCopies(slot Slot) []copyJob {
	files := s.esp.Chain.Files(slot.Path())
	dir := path.Dir(slot.Path())
	src := map[bootchain.Binary]string{}
	for _, f := range files {
		if path.Dir(f.Path) == dir {
			src[f.Binary] = f.Path
		}
	}
	var jobs []copyJob
	for _, f := range files {
		if path.Dir(f.Path) != dir {
			jobs = append(jobs, copyJob{src: src[f.Binary], dst: f.Path})
		}
	}
	return jobs
}

// fallbackUKI is the removable-media copy of slot's UKI.
func (s *Slots) fallbackUKI(slot Slot) string {
	for _, j := range s.fallbackCopies(slot) {
		if j.src == slot.Path() {
			return j.dst
		}
	}
	return "" // not reached: every chain's Files has a fallback copy of the UKI
}

// syncFallback makes every fallback file equal to what it copies, for
// the chain of slot, whose UKI has been checked to have SHA-256 uki. A
// fallback file is compared with its source byte for byte; a source is
// hashed only when it has to be copied.
func (s *Slots) syncFallback(slot Slot, uki [32]byte) ([]string, error) {
	var changes []string
	for _, j := range s.fallbackCopies(slot) {
		ok, err := s.files.same(j.src, j.dst)
		if err != nil {
			return changes, fmt.Errorf("abslot: fallback %s: %w", j.dst, err)
		}
		if ok {
			continue
		}
		want := uki
		if j.src != slot.Path() {
			if want, _, err = s.files.digest(j.src); err != nil {
				return changes, fmt.Errorf("abslot: fallback %s: %w", j.dst, err)
			}
		}
		if err := s.files.copyFile(j.src, j.dst, want); err != nil {
			return changes, fmt.Errorf("abslot: fallback: %w", err)
		}
		changes = append(changes, fmt.Sprintf("copied %s to %s", j.src, j.dst))
	}
	return changes, nil
}
