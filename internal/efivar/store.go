package efivar

import (
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/guid"
)

// Variable attributes (UEFI 2.10 section 8.2, SetVariable).
const (
	AttrNonVolatile       uint32 = 0x00000001
	AttrBootServiceAccess uint32 = 0x00000002
	AttrRuntimeAccess     uint32 = 0x00000004
	AttrAppendWrite       uint32 = 0x00000040

	// AttrsNVBSRT is what boot manager variables are written with.
	AttrsNVBSRT = AttrNonVolatile | AttrBootServiceAccess | AttrRuntimeAccess

	// attrMask is the kernel's EFI_VARIABLE_MASK: the bits efivarfs
	// accepts on write. Some Apple firmware reports bit 31 set on reads;
	// writing that back would fail with EINVAL.
	attrMask uint32 = 0x0000007f
)

// ErrNotFound is returned (wrapped) when a variable does not exist.
var ErrNotFound = errors.New("variable not found")

// VarRef names a variable: its name and vendor GUID.
type VarRef struct {
	Name string
	GUID guid.GUID
}

func (v VarRef) String() string { return v.Name + "-" + v.GUID.String() }

// Store is a UEFI variable store. Efivarfs is the real one; MemStore and
// Efivarfs on a temporary directory serve tests.
type Store interface {
	// Get returns a variable's attributes and data, or an error wrapping
	// ErrNotFound.
	Get(name string, vendor guid.GUID) (attrs uint32, data []byte, err error)
	// Set creates or replaces a variable in one step. data must not be
	// empty (an empty write deletes a variable in UEFI; use Delete).
	Set(name string, vendor guid.GUID, attrs uint32, data []byte) error
	// Delete removes a variable, or returns an error wrapping ErrNotFound.
	Delete(name string, vendor guid.GUID) error
	// List returns every variable, sorted by name then GUID.
	List() ([]VarRef, error)
}

// checkSet holds the argument checks every Store does before writing.
func checkSet(name string, vendor guid.GUID, attrs uint32, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	if len(data) == 0 {
		return fmt.Errorf("efivar: set %s: empty data would delete the variable; use Delete", name)
	}
	if attrs&^attrMask != 0 {
		return fmt.Errorf("efivar: set %s: invalid attributes %#x", name, attrs)
	}
	if attrs&AttrAppendWrite != 0 {
		return fmt.Errorf("efivar: set %s: append writes are for authenticated variables (SetAuthenticated)", name)
	}
	if err := validateVariable(name, vendor, data); err != nil {
		return fmt.Errorf("efivar: set %s: %w", name, err)
	}
	return nil
}

func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("efivar: bad variable name %q", name)
	}
	return nil
}
