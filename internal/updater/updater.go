// Package updater takes an installed appliance from one version to the
// next and back when the next one is bad. It joins the pieces: a signed
// bundle (package bundle) from wherever it came (a channel URL, a
// PLINTHUPD stick, the local command), the two runtime slots on the ESP
// and their boot entries (package abslot), and the services' health
// (package supervise).
//
// Apply verifies the bundle's signature and manifest before a byte of it
// is written: the product must be ours, the version newer than the
// running one (unless the bundle says it may downgrade), not one that
// failed its trial here before, and the installed version at least the
// bundle's minVersion. The runtime part then streams into the inactive
// slot through a temporary file that is checked against the signed
// digest and read back before it replaces the slot's file; the committed
// slot, the fallback loader and /data are never written. BootNext then
// names the new slot and the appliance reboots cleanly (services stopped,
// /data unmounted).
//
// At the next boot (Boot), the new version runs on trial: it commits
// (BootOrder starts it, the fallback loader becomes its copy) once every
// service has stayed healthy for the product's commit-after time; if
// that does not happen within the trial timeout it gives up (the reason
// is kept on the ESP) and reboots. The firmware deletes BootNext before
// it starts the trial, so a panic, a hang the watchdog resets, or a power
// cut during the trial all land in BootOrder's first entry: the committed
// version, which reports update-rolled-back with the reason. One update
// runs at a time.
package updater

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
)

// Options are what an Updater works with.
type Options struct {
	Product, Version string              // the running product and version
	Trusted          []*x509.Certificate // update certificates built into the runtime
	Slots            *abslot.Slots
	Vars             efivar.Store
	Events           *event.Emitter
	Log              func(format string, args ...any)
	// Reboot reboots cleanly into BootNext; it returns only if the
	// reboot could not be started.
	Reboot func(reason string)
}

// Updater applies updates; one at a time.
type Updater struct {
	o    Options
	busy sync.Mutex
	// trial is set while this boot is an undecided trial (Boot, Confirm).
	trial atomic.Bool
}

// TrialOpen reports whether this boot is a trial that has not committed
// yet.
func (u *Updater) TrialOpen() bool { return u.trial.Load() }

// New returns an Updater for o.
func New(o Options) *Updater {
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	return &Updater{o: o}
}

// RefusedError is a bundle that is not applied, before anything was
// written to a slot (or, for a damaged part, before the slot was made
// live).
type RefusedError struct {
	Version string // "" when the manifest could not be read
	bundle.Refusal
}

// refused is a RefusedError of version for r.
func refused(version string, r *bundle.Refusal) *RefusedError {
	return &RefusedError{Version: version, Refusal: *r}
}

func (e *RefusedError) Error() string {
	if e.Version == "" {
		return "updater: refused: " + e.Reason
	}
	return fmt.Sprintf("updater: refused %s: %s", e.Version, e.Reason)
}

// Apply verifies the bundle read from r, stages it in the inactive slot,
// sets BootNext to it and reboots. source says where the bundle came
// from, for the events (the caller announces it: update-available). A refusal is a *RefusedError and is emitted as
// update-refused.
func (u *Updater) Apply(r io.Reader, source string) error { return u.ApplyThen(r, source, nil) }

// ApplyThen is Apply that calls staged, if not nil, with the version
// once it is staged and armed, before the reboot: the local command's
// caller hears of it before the connection goes down.
func (u *Updater) ApplyThen(r io.Reader, source string, staged func(version string)) error {
	if !u.busy.TryLock() {
		return u.refuse(source, refused("", &bundle.Refusal{Code: bundle.RefusedBusy, Reason: "another update is being applied; try again when it is done"}))
	}
	defer u.busy.Unlock()
	slot, version, err := u.stage(r, source)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return u.refuse(source, re)
		}
		return err
	}
	if err := u.o.Slots.Trial(u.o.Vars, slot); err != nil {
		return fmt.Errorf("updater: trial of %s: %w", version, err)
	}
	u.o.Events.Emit(event.UpdateStaged{Version: version, Running: u.o.Version, Slot: string(slot)})
	u.o.Log("Update %s written to slot %s; rebooting into it once.", version, slot)
	if staged != nil {
		staged(version)
	}
	u.o.Reboot("update to " + version)
	return fmt.Errorf("updater: %s is staged but the reboot did not happen", version)
}

func (u *Updater) refuse(source string, re *RefusedError) error {
	u.o.Events.Emit(event.UpdateRefused{Version: re.Version, Source: source, Code: string(re.Code), Reason: re.Reason})
	u.o.Log("Update from %s refused: %s", source, re.Reason)
	return re
}

// stage checks the bundle and writes its runtime into the inactive slot.
func (u *Updater) stage(r io.Reader, source string) (abslot.Slot, string, error) {
	m, br, err := u.open(r)
	if err != nil {
		return "", "", err
	}
	if u.o.Slots.Legacy() {
		if err := u.o.Slots.Convert(u.o.Version); err != nil {
			return "", "", fmt.Errorf("updater: convert the ESP to slots: %w", err)
		}
	}
	info, part, err := br.Next()
	if err != nil {
		return "", "", refused(m.Version, bundle.RefusalOf(err))
	}
	slot, err := u.o.Slots.Stage(u.o.Vars, part, info.Size, [32]byte(info.SHA256), m.Version)
	if err != nil {
		if errors.Is(err, abslot.ErrDigest) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %s: %w", bundle.ErrPart, bundle.PartRuntime, err)
		}
		if errors.Is(err, bundle.ErrPart) || errors.Is(err, bundle.ErrTruncated) {
			return "", "", refused(m.Version, bundle.RefusalOf(err))
		}
		return "", "", fmt.Errorf("updater: stage %s: %w", m.Version, err)
	}
	if _, _, err := br.Next(); !errors.Is(err, io.EOF) {
		return "", "", refused(m.Version, bundle.RefusalOf(fmt.Errorf("after its runtime part: %w", err)))
	}
	return slot, m.Version, nil
}

// open verifies the bundle's signature and checks its manifest.
func (u *Updater) open(r io.Reader) (*bundle.Manifest, *bundle.Reader, error) {
	if len(u.o.Trusted) == 0 {
		return nil, nil, refused("", &bundle.Refusal{Code: bundle.RefusedNoKey, Reason: "this runtime image has no update certificate (it was built without an update or Secure Boot key)"})
	}
	br, err := bundle.Open(r, u.o.Trusted)
	if err != nil {
		return nil, nil, refused("", bundle.RefusalOf(err))
	}
	m := br.Manifest()
	if r := m.Applicable(u.o.Product, u.o.Version, u.FailedBefore); r != nil {
		return nil, nil, refused(m.Version, r)
	}
	return m, br, nil
}

// FailedBefore returns why version failed its trial here, or "".
func (u *Updater) FailedBefore(version string) string {
	st, err := u.o.Slots.State()
	if err != nil {
		return ""
	}
	for _, s := range []abslot.SlotState{st.A, st.B} {
		if s.Status == abslot.Failed && s.Version == version {
			return s.Reason
		}
	}
	return ""
}

// Failed reports whether version failed its trial here (sources skip it).
func (u *Updater) Failed(version string) bool { return u.FailedBefore(version) != "" }
