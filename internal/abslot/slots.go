package abslot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/efivar"
)

// ESP is the mounted, writable EFI system partition of an installed disk
// and what its boot entries need.
type ESP struct {
	Root string // mount point
	// HD is the ESP's HD() node as the firmware sees it: GPT entry
	// number, first LBA and size in the disk's logical blocks, PARTUUID.
	// Entries with another HD() node are rewritten to this one.
	HD      efivar.HardDrive
	Chain   bootchain.Chain // how the firmware reaches the UKI
	Product string          // the product's display name, for entry labels
	// Outside says the running system was not started from this ESP: an
	// installer upgrading the disk from its own medium. Neither slot is
	// running then, and BootCurrent names the installer's entry, so
	// Stage does not ask Booted which slot is; the caller runs Repair
	// first, which checks that the committed slot's UKI is whole.
	Outside bool
}

// Label is the description of slot s's boot entry: "<Product> A".
func (e ESP) Label(s Slot) string { return e.Product + " " + string(s) }

// Errors Open and the operations return (wrapped).
var (
	// ErrLegacy: the ESP has the layout from before slots; Convert it.
	ErrLegacy = errors.New("the ESP has the single-UKI layout from before slots")
	// ErrNoLayout: the ESP has neither slots.json nor a legacy UKI.
	ErrNoLayout = errors.New("the ESP holds no Plinth runtime")
)

// Slots is an opened ESP. Its methods read and write the ESP's files
// and, given a variable store, the boot variables; they are not safe for
// concurrent use.
type Slots struct {
	esp   ESP
	state *State // nil while the ESP is legacy
	files files
	now   func() time.Time
}

// Open reads the ESP's slots.json. An ESP installed before slots
// existed (a legacy UKI at LegacyPath and no slots.json) opens with
// Legacy true; only Convert works on it.
func Open(esp ESP) (*Slots, error) {
	if err := esp.check(); err != nil {
		return nil, err
	}
	s := &Slots{esp: esp, files: files{root: esp.Root}, now: time.Now}
	b, err := os.ReadFile(s.files.abs(StatePath))
	if errors.Is(err, fs.ErrNotExist) {
		_, err := os.Stat(s.files.abs(LegacyPath(esp.Product)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("abslot: open %s: no %s and no %s: %w", esp.Root, StatePath, LegacyPath(esp.Product), ErrNoLayout)
		}
		if err != nil {
			return nil, fmt.Errorf("abslot: open %s: %w", esp.Root, err)
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("abslot: open %s: %w", esp.Root, err)
	}
	if s.state, err = ParseState(b); err != nil {
		return nil, err
	}
	return s, nil
}

func (e ESP) check() error {
	switch {
	case e.Root == "":
		return errors.New("abslot: no ESP root given")
	case e.Product == "":
		return errors.New("abslot: no product name given for the boot entry labels")
	case e.HD.PartitionNumber == 0:
		return errors.New("abslot: the ESP's HD() node has no partition number")
	}
	return nil
}

// Legacy reports whether the ESP still has the layout from before slots.
func (s *Slots) Legacy() bool { return s.state == nil }

// State returns a copy of the state as last read or written.
func (s *Slots) State() (State, error) {
	if s.state == nil {
		return State{}, fmt.Errorf("abslot: %w", ErrLegacy)
	}
	return *s.state.clone(), nil
}

// opened returns the state, or ErrLegacy.
func (s *Slots) opened(op string) (*State, error) {
	if s.state == nil {
		return nil, fmt.Errorf("abslot: %s: %w", op, ErrLegacy)
	}
	return s.state, nil
}

// save writes st as slots.json (temporary file, sync, rename, sync of
// the directory) and makes it the current state.
func (s *Slots) save(st *State) error {
	b, err := st.Marshal()
	if err != nil {
		return err
	}
	if err := s.files.replace(StatePath, bytes.NewReader(b), int64(len(b)), sha256.Sum256(b)); err != nil {
		return fmt.Errorf("abslot: save state: %w", err)
	}
	s.state = st
	return nil
}

// Convert turns a legacy ESP into the slot layout: it copies the legacy
// UKI into slot A, checks the copy by SHA-256 read-back, and writes
// slots.json with A committed at version (the installed config's
// version). The legacy UKI and its boot entry stay until the first
// Commit, so until then the old entry still boots the same bytes.
func (s *Slots) Convert(version string) error {
	if s.state != nil {
		return errors.New("abslot: convert: the ESP already has slots")
	}
	legacy := LegacyPath(s.esp.Product)
	if legacy == B.Path() {
		return fmt.Errorf("abslot: convert: the legacy UKI %s is where slot B goes", legacy)
	}
	sum, size, err := s.files.digest(legacy)
	if err != nil {
		return fmt.Errorf("abslot: convert: %w", err)
	}
	st := NewState(version, size, sum)
	if legacy == A.Path() {
		return s.save(st) // already in place; nothing to remove later
	}
	if err := s.files.copyFile(legacy, A.Path(), sum); err != nil {
		return fmt.Errorf("abslot: convert: %w", err)
	}
	st.Legacy = legacy
	return s.save(st)
}
