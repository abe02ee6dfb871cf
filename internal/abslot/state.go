package abslot

import (
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/strictjson"
)

// FormatVersion is the version of slots.json this package writes and
// reads. The decoder refuses unknown fields, so a new field comes with a
// new version.
const FormatVersion = 1

// Status is what a slot holds.
type Status string

// Statuses.
const (
	// Empty: nothing bootable as far as we know; a Stage writing the slot
	// marks it empty first, so an interrupted write never looks staged.
	Empty Status = "empty"
	// Staged: a complete UKI whose SHA-256 was checked after writing,
	// not yet booted.
	Staged Status = "staged"
	// Committed: a UKI that booted and was committed at some time. The
	// committed slot (State.Committed) always is; the other slot keeps
	// this status after the next commit, as the previous good version.
	Committed Status = "committed"
	// Failed: writing, checking or a trial boot of the slot failed;
	// SlotState.Reason says why.
	Failed Status = "failed"
)

// State is the content of slots.json.
//
//	{
//	  "format": 1,
//	  "committed": "A",
//	  "a": {"status": "committed", "version": "v1.4.2", "size": 31457280, "sha256": "9f86…"},
//	  "b": {"status": "staged", "version": "v1.5.0", "size": 31461376, "sha256": "60c2…"},
//	  "trial": {"slot": "B", "version": "v1.5.0", "fromVersion": "v1.4.2", "started": "2025-03-04T05:06:07Z", "armed": true}
//	}
type State struct {
	Format int `json:"format"` // FormatVersion
	// Committed is the slot the firmware boots by default: first in
	// BootOrder and copied to the removable-media fallback path.
	Committed Slot      `json:"committed"`
	A         SlotState `json:"a"`
	B         SlotState `json:"b"`
	// Trial is the update being tried once (BootNext), nil when none.
	Trial *TrialRecord `json:"trial,omitempty"`
	// Report is a trial that gave up (Abandon) and that the committed
	// version reports when it boots next (RolledBack); nil when none.
	Report *FailedTrial `json:"report,omitempty"`
	// Legacy is the UKI of the layout before slots (LegacyPath), still
	// on the ESP with its boot entry until the first commit removes
	// both; "" when there is none.
	Legacy string `json:"legacy,omitempty"`
}

// SlotState is what slots.json records about one slot.
type SlotState struct {
	Status Status `json:"status"`
	// Version is the product version in the slot; for a failed slot,
	// the version that failed.
	Version string `json:"version,omitempty"`
	// Size and SHA256 (lower-case hex) describe the slot's file; set
	// only when Status is staged or committed.
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// Reason says why a failed slot failed.
	Reason string `json:"reason,omitempty"`
	// From is the version that was committed when this slot's version
	// was staged: the version it replaced ("" for the installed one).
	From string `json:"from,omitempty"`
}

// TrialRecord is an update being tried: the firmware was (or is about to
// be) told to boot Slot once.
type TrialRecord struct {
	Slot        Slot      `json:"slot"`
	Version     string    `json:"version"`     // the version in Slot
	FromVersion string    `json:"fromVersion"` // the committed version it replaces
	Started     time.Time `json:"started"`     // when Trial was called (UTC)
	// Armed is set once BootNext names the slot's entry: a boot of the
	// committed slot after that means the trial boot failed. Without it,
	// the machine went down between recording the trial and setting
	// BootNext, and the trial never started.
	Armed bool `json:"armed"`
}

// NewState is the state of a freshly installed ESP: slot A committed,
// holding the UKI of version with size bytes and SHA-256 sum; slot B
// empty.
func NewState(version string, size int64, sum [32]byte) *State {
	return &State{
		Format:    FormatVersion,
		Committed: A,
		A:         SlotState{Status: Committed, Version: version, Size: size, SHA256: hex.EncodeToString(sum[:])},
		B:         SlotState{Status: Empty},
	}
}

// Slot returns the record of slot s (A or B).
func (st *State) Slot(s Slot) *SlotState {
	if s == B {
		return &st.B
	}
	return &st.A
}

// ParseState decodes and checks slots.json.
func ParseState(b []byte) (*State, error) {
	var st State
	if err := strictjson.Decode(b, &st); err != nil {
		return nil, fmt.Errorf("abslot: %s: %w", StatePath, err)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("abslot: %s: %w", StatePath, err)
	}
	return &st, nil
}

// Marshal encodes st as slots.json, after checking it.
func (st *State) Marshal() ([]byte, error) {
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("abslot: state: %w", err)
	}
	return strictjson.Encode(st)
}

// Validate checks that st is consistent: the committed slot is committed,
// digests are well-formed, a trial names the other, bootable slot.
func (st *State) Validate() error {
	if st.Format != FormatVersion {
		return fmt.Errorf("format %d, want %d", st.Format, FormatVersion)
	}
	if !st.Committed.Valid() {
		return fmt.Errorf("committed slot %q is not A or B", st.Committed)
	}
	for _, s := range []Slot{A, B} {
		if err := st.Slot(s).validate(); err != nil {
			return fmt.Errorf("slot %s: %w", s, err)
		}
	}
	if c := st.Slot(st.Committed); c.Status != Committed {
		return fmt.Errorf("committed slot %s has status %q", st.Committed, c.Status)
	}
	if err := st.validateTrial(); err != nil {
		return err
	}
	return validLegacy(st.Legacy)
}

func (st *State) validateTrial() error {
	t := st.Trial
	switch {
	case t == nil:
		return nil
	case !t.Slot.Valid() || t.Slot == st.Committed:
		return fmt.Errorf("trial slot %q is not the slot other than the committed %s", t.Slot, st.Committed)
	case !bootable(st.Slot(t.Slot).Status):
		return fmt.Errorf("trial slot %s has status %q", t.Slot, st.Slot(t.Slot).Status)
	case t.Version != st.Slot(t.Slot).Version:
		return fmt.Errorf("trial version %q is not slot %s's %q", t.Version, t.Slot, st.Slot(t.Slot).Version)
	}
	return nil
}

func (ss SlotState) validate() error {
	switch ss.Status {
	case Staged, Committed:
		if ss.Version == "" || ss.Size <= 0 {
			return fmt.Errorf("status %q needs a version and a size", ss.Status)
		}
		if _, err := parseDigest(ss.SHA256); err != nil {
			return err
		}
	case Empty, Failed:
		if ss.Size != 0 || ss.SHA256 != "" {
			return fmt.Errorf("status %q records no file, but size or sha256 is set", ss.Status)
		}
	default:
		return fmt.Errorf("unknown status %q", ss.Status)
	}
	return nil
}

// bootable statuses are those of a slot whose file is known to be whole.
func bootable(s Status) bool { return s == Staged || s == Committed }

func validLegacy(p string) error {
	if p == "" {
		return nil
	}
	if path.Dir(p) != Dir || !strings.HasSuffix(p, ".efi") || p == A.Path() || p == B.Path() {
		return fmt.Errorf("legacy UKI %q is not a UKI in %s other than the slots", p, Dir)
	}
	return nil
}

// parseDigest decodes 64 lower-case hex digits.
func parseDigest(s string) ([32]byte, error) {
	var d [32]byte
	if len(s) != 64 || strings.ToLower(s) != s {
		return d, fmt.Errorf("sha256 %q is not 64 lower-case hex digits", s)
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, errors.New("sha256 is not hex")
	}
	return d, nil
}

// digest returns the recorded SHA-256 of a staged or committed slot.
func (ss SlotState) digest() [32]byte {
	d, _ := parseDigest(ss.SHA256) // Validate checked it
	return d
}

func (st *State) clone() *State {
	c := *st
	if st.Trial != nil {
		t := *st.Trial
		c.Trial = &t
	}
	if st.Report != nil {
		r := *st.Report
		c.Report = &r
	}
	return &c
}
