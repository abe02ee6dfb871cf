package abslot

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
)

// RolledBackReason is the reason recorded for a trial whose boot never
// committed: the firmware fell back to the committed slot after a panic,
// a hang the watchdog reset, a failed load, or a power cut; which one is
// not known.
const RolledBackReason = "the trial boot did not commit"

// FailedTrial is a trial that ended without a commit, for the caller's
// update-rolled-back event.
type FailedTrial struct {
	Slot        Slot      `json:"slot"`
	Version     string    `json:"version"`     // the version that was tried
	FromVersion string    `json:"fromVersion"` // the committed version, which runs again
	Started     time.Time `json:"started"`
	Reason      string    `json:"reason"`
}

// Stage writes a runtime UKI of size bytes with SHA-256 sum, read from r,
// into the inactive slot, the one that is neither committed nor (as
// Booted tells from vars) running, and records it as staged at version.
// The slot is marked empty before its file is touched; the UKI goes to a
// temporary file that is synced, checked, renamed over the slot's file
// and read back. After a short stream or a wrong digest the slot holds
// what it held, marked empty;
// the committed slot, the fallback chain and the boot variables are
// never written (a BootNext still naming the slot is deleted).
func (s *Slots) Stage(vars efivar.Store, r io.Reader, size int64, sum [32]byte, version string) (Slot, error) {
	st, err := s.opened("stage")
	if err != nil {
		return "", err
	}
	target := st.Committed.Other()
	if err := s.checkStage(vars, st, target, size, version); err != nil {
		return "", err
	}
	if bootable(st.Slot(target).Status) {
		next := st.clone()
		*next.Slot(target) = SlotState{Status: Empty}
		if err := s.save(next); err != nil {
			return "", err
		}
	}
	if err := s.files.replace(target.Path(), r, size, sum); err != nil {
		// The slot stays as marked above: not bootable. It is not marked
		// failed at version: a damaged copy says nothing of the version,
		// and a good copy of it must still be taken.
		return "", fmt.Errorf("abslot: stage slot %s: %w", target, err)
	}
	next := s.state.clone()
	from := next.Slot(next.Committed).Version
	*next.Slot(target) = SlotState{Status: Staged, Version: version, Size: size, SHA256: hex.EncodeToString(sum[:]), From: from}
	if err := s.save(next); err != nil {
		return "", err
	}
	return target, nil
}

// checkStage refuses a stage that could overwrite what runs or is tried.
func (s *Slots) checkStage(vars efivar.Store, st *State, target Slot, size int64, version string) error {
	switch {
	case version == "" || size <= 0:
		return fmt.Errorf("abslot: stage: need a version and a size, got %q and %d", version, size)
	case st.Trial != nil:
		return fmt.Errorf("abslot: stage: a trial of slot %s (%s) is recorded: commit or abandon it first", st.Trial.Slot, st.Trial.Version)
	}
	if s.esp.Outside {
		return s.cancelBootNext(vars, target)
	}
	booted, how, err := s.Booted(vars)
	if err != nil {
		return fmt.Errorf("abslot: stage: cannot tell which slot is running, so none is safe to write: %w", err)
	}
	if booted == target {
		return fmt.Errorf("abslot: stage: slot %s is not committed but is running (%s): it is the only one that booted; reboot into the committed slot %s first", target, how, st.Committed)
	}
	return s.cancelBootNext(vars, target)
}

// markFailed records slot as failed at version, for reason, and with
// report (non-nil) the failed trial for the committed version to report
// when it boots next (State.Report).
func (s *Slots) markFailed(slot Slot, version, reason string, report *FailedTrial) error {
	next := s.state.clone()
	*next.Slot(slot) = SlotState{Status: Failed, Version: version, Reason: reason}
	if next.Trial != nil && next.Trial.Slot == slot {
		next.Trial = nil
	}
	if report != nil {
		next.Report = report
	}
	return s.save(next)
}

// unreported returns, and clears, a failed trial that Abandon left for
// the committed version to report, once the committed slot is running.
func (s *Slots) unreported(vars efivar.Store) (*FailedTrial, error) {
	st := s.state
	if st.Report == nil {
		return nil, nil
	}
	booted, _, err := s.Booted(vars)
	if err != nil || booted != st.Committed {
		return nil, err
	}
	r := *st.Report
	next := st.clone()
	next.Report = nil
	return &r, s.save(next)
}

// bootNextIs reports whether BootNext is set to slot's entry.
func (s *Slots) bootNextIs(vars efivar.Store, slot Slot) (bool, error) {
	num, err := efivar.ReadBootNext(vars)
	if errors.Is(err, efivar.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("abslot: %w", err)
	}
	o, err := efivar.ReadBootEntry(vars, num)
	if errors.Is(err, efivar.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("abslot: BootNext: %w", err)
	}
	return o.Description == s.esp.Label(slot) || starts(s.esp.Chain, o, slot.Path()), nil
}

// cancelBootNext deletes BootNext if it names slot's entry.
func (s *Slots) cancelBootNext(vars efivar.Store, slot Slot) error {
	set, err := s.bootNextIs(vars, slot)
	if err != nil || !set {
		return err
	}
	if err := efivar.DeleteBootNext(vars); err != nil {
		return fmt.Errorf("abslot: delete BootNext: %w", err)
	}
	return nil
}

// Trial arranges for the next boot, and only that one, to start slot (a
// staged slot, or the previous committed one): it checks the slot's UKI
// against its recorded digest, runs Repair so that the entry exists and
// BootOrder still starts with the committed slot, records the trial in
// slots.json, sets BootNext to the slot's entry, and records that
// BootNext is set (TrialRecord.Armed). The caller then reboots.
func (s *Slots) Trial(vars efivar.Store, slot Slot) error {
	st, err := s.opened("trial")
	if err != nil {
		return err
	}
	if !slot.Valid() || slot == st.Committed || !bootable(st.Slot(slot).Status) {
		return fmt.Errorf("abslot: trial: slot %q is not a staged slot other than the committed %s", slot, st.Committed)
	}
	if err := s.verify(slot); err != nil {
		return fmt.Errorf("abslot: trial: %w", err)
	}
	if _, err := s.Repair(vars); err != nil {
		return fmt.Errorf("abslot: trial: %w", err)
	}
	num, err := s.entryNum(vars, slot)
	if err != nil {
		return fmt.Errorf("abslot: trial: %w", err)
	}
	next := s.state.clone()
	ss := next.Slot(slot)
	next.Trial = &TrialRecord{Slot: slot, Version: ss.Version, FromVersion: next.Slot(next.Committed).Version, Started: s.now().UTC().Truncate(time.Second)}
	if err := s.save(next); err != nil {
		return err
	}
	if err := efivar.SetBootNext(vars, num); err != nil {
		return fmt.Errorf("abslot: trial: BootNext: %w", err)
	}
	next = s.state.clone()
	next.Trial.Armed = true
	return s.save(next)
}

// verify checks slot's UKI against its recorded digest; a mismatch marks
// the slot failed.
func (s *Slots) verify(slot Slot) error {
	ss := s.state.Slot(slot)
	ok, err := s.files.has(slot.Path(), ss.digest())
	if err != nil {
		return err
	}
	if !ok {
		reason := fmt.Sprintf("%s no longer has the recorded SHA-256 %s", slot.Path(), ss.SHA256)
		return errors.Join(errors.New(reason), s.markFailed(slot, ss.Version, reason, nil))
	}
	return nil
}

// InTrial returns the recorded trial when this boot is it (Booted is
// the trial's slot), or nil. The caller checks the system's health and
// then calls Commit or Abandon.
func (s *Slots) InTrial(vars efivar.Store) (*TrialRecord, error) {
	st, err := s.opened("in trial")
	if err != nil || st.Trial == nil {
		return nil, err
	}
	booted, _, err := s.Booted(vars)
	if err != nil || booted != st.Trial.Slot {
		return nil, err
	}
	t := *st.Trial
	return &t, nil
}

// Commit makes slot, which this boot came from as a trial, the committed
// slot: its entry first in BootOrder (the previous committed slot's
// second, kept as the way back for the next update), the legacy UKI and
// its entry removed on the first commit after Convert, slots.json
// updated, and the fallback chain replaced by copies of slot's.
func (s *Slots) Commit(vars efivar.Store, slot Slot) error {
	st, err := s.opened("commit")
	if err != nil {
		return err
	}
	if st.Trial == nil || st.Trial.Slot != slot {
		return fmt.Errorf("abslot: commit: no trial of slot %q is recorded", slot)
	}
	booted, how, err := s.Booted(vars)
	if err != nil {
		return fmt.Errorf("abslot: commit: %w", err)
	}
	if booted != slot {
		return fmt.Errorf("abslot: commit: this boot is slot %s (%s), not the trial slot %s", booted, how, slot)
	}
	if err := s.verify(slot); err != nil {
		return fmt.Errorf("abslot: commit: %w", err)
	}
	if _, err := s.syncEntries(vars, slot); err != nil {
		return fmt.Errorf("abslot: commit: %w", err)
	}
	if err := s.removeLegacy(vars, st.Legacy); err != nil {
		return fmt.Errorf("abslot: commit: %w", err)
	}
	next := st.clone()
	next.Committed, next.Trial, next.Legacy = slot, nil, ""
	next.Slot(slot).Status = Committed
	if err := s.save(next); err != nil {
		return err
	}
	if _, err := s.syncFallback(slot, next.Slot(slot).digest()); err != nil {
		return fmt.Errorf("abslot: commit: %w", err)
	}
	return nil
}

// removeLegacy deletes the legacy UKI's boot entries (labelled with the
// product's name and starting that UKI; BootOrder first, then the
// variable) and then the file.
func (s *Slots) removeLegacy(vars efivar.Store, legacy string) error {
	if legacy == "" {
		return nil
	}
	entries, err := efivar.ListBootEntries(vars)
	if err != nil {
		return fmt.Errorf("boot entries: %w", err)
	}
	for _, e := range entries {
		if e.Option == nil || e.Option.Description != s.esp.Product || !starts(s.esp.Chain, e.Option, legacy) {
			continue
		}
		if err := efivar.DeleteBootEntry(vars, e.Num); err != nil {
			return fmt.Errorf("remove the legacy entry %s: %w", efivar.BootOptionName(e.Num), err)
		}
	}
	return s.files.remove(legacy)
}

// RolledBack reports a trial that failed: slots.json records a trial
// whose BootNext was set and consumed, and yet this boot is not the
// trial slot. The firmware fell back to BootOrder, so the trial boot
// crashed, hung or could not load; the slot is marked failed and the
// trial cleared, and the caller reports update-rolled-back. It returns
// nil when there is no trial, when this boot is the trial (which it
// records as armed if that was not yet recorded), when BootNext is still
// set (no reboot since Trial), and when the trial never got its BootNext
// (the record is then cleared and the slot stays staged).
func (s *Slots) RolledBack(vars efivar.Store) (*FailedTrial, error) {
	st, err := s.opened("rolled back")
	if err != nil {
		return nil, err
	}
	if st.Trial == nil {
		return s.unreported(vars)
	}
	t := *st.Trial
	pending, err := s.bootNextIs(vars, t.Slot)
	if err != nil || pending {
		return nil, err
	}
	booted, _, err := s.Booted(vars)
	if err != nil {
		return nil, err
	}
	if booted == t.Slot {
		return nil, s.arm(t.Armed)
	}
	if !t.Armed {
		next := st.clone()
		next.Trial = nil
		return nil, s.save(next)
	}
	if err := s.markFailed(t.Slot, t.Version, RolledBackReason, nil); err != nil {
		return nil, err
	}
	return &FailedTrial{Slot: t.Slot, Version: t.Version, FromVersion: t.FromVersion, Started: t.Started, Reason: RolledBackReason}, nil
}

// arm records that the trial started, if the machine went down between
// setting BootNext and recording it: a crash of the trial from here on is
// then reported as a rollback.
func (s *Slots) arm(armed bool) error {
	if armed {
		return nil
	}
	next := s.state.clone()
	next.Trial.Armed = true
	return s.save(next)
}

// Abandon ends the recorded trial without committing it, for reason
// (such as a failed health check): a BootNext still naming the slot is
// deleted, then the slot is marked failed. BootOrder already starts with
// the committed slot, so the caller reboots into it.
func (s *Slots) Abandon(vars efivar.Store, reason string) (*FailedTrial, error) {
	st, err := s.opened("abandon")
	if err != nil {
		return nil, err
	}
	if st.Trial == nil {
		return nil, errors.New("abslot: abandon: no trial is recorded")
	}
	if reason == "" {
		reason = "abandoned"
	}
	t := *st.Trial
	if err := s.cancelBootNext(vars, t.Slot); err != nil {
		return nil, fmt.Errorf("abslot: abandon: %w", err)
	}
	ft := &FailedTrial{Slot: t.Slot, Version: t.Version, FromVersion: t.FromVersion, Started: t.Started, Reason: reason}
	if err := s.markFailed(t.Slot, t.Version, reason, ft); err != nil {
		return nil, err
	}
	return ft, nil
}
