package abslot

import (
	"path"
	"strings"

	"github.com/plinth-os/plinth/internal/appconfig"
)

// Paths on the ESP, relative to its root, with forward slashes.
const (
	// Dir holds the slots, the state file and, with shim, shim and
	// MokManager, which both slots share.
	Dir = "EFI/plinth"
	// StatePath is the state file, slots.json.
	StatePath = Dir + "/slots.json"
)

// Slot is one of the two places a runtime UKI lives: A or B.
type Slot string

// The slots.
const (
	A Slot = "A"
	B Slot = "B"
)

// Valid reports whether s is A or B.
func (s Slot) Valid() bool { return s == A || s == B }

// Other is the slot that is not s.
func (s Slot) Other() Slot {
	if s == A {
		return B
	}
	return A
}

// Path is the slot's UKI on the ESP: EFI/plinth/slot-a.efi or slot-b.efi.
func (s Slot) Path() string { return Dir + "/slot-" + strings.ToLower(string(s)) + ".efi" }

// LegacyPath is where an ESP installed before slots existed keeps its one
// runtime UKI: EFI/plinth/<name>.efi, name derived from the product's
// display name. It is the installer's loader path
// (installplan.LoaderPath); it is derived here again because the
// appliance must not link the installer's planner, and a test holds the
// two equal.
func LegacyPath(product string) string {
	return path.Join(Dir, appconfig.HostnamePrefix(product)+".efi")
}
