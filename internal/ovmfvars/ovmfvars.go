// Package ovmfvars reads the UEFI variables that an EDK2 (OVMF) VARS image
// holds, and the X.509 certificates in its Secure Boot databases. It exists
// so that the Microsoft certificates Plinth embeds can be taken from a file
// a distribution ships and checked against it again at any time, and so
// that the end-to-end tests can read what a VM's firmware stored (its boot
// entries and BootOrder); it is a build-host tool, never linked into a
// target command.
//
// The layouts are EDK2's (MdeModulePkg/Include/Guid/VariableFormat.h and
// PiFirmwareVolume.h, all structures packed, little-endian): a firmware
// volume header, then a variable store header, then variables one after
// another, each header 4-byte aligned. Only the first firmware volume is
// read: the rest of the image is the fault-tolerant-write working and spare
// areas, which hold no live variables.
package ovmfvars

import (
	"encoding/binary"
	"fmt"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
)

// The signatures of EDK2's variable stores (gEfiAuthenticatedVariableGuid,
// gEfiVariableGuid).
const (
	authenticatedStore = "aaf32c78-947b-439a-a180-2e144ec37792"
	plainStore         = "ddcf3616-3275-4164-98b6-fe85707ffe7d"
)

const (
	fvSignature     = "_FVH"
	fvSignatureOff  = 40
	fvHeaderLenOff  = 48
	storeHeaderSize = 28
	storeFormatted  = 0x5a
	storeHealthy    = 0xfe
	varStartID      = 0x55aa
	authHeaderSize  = 60 // AUTHENTICATED_VARIABLE_HEADER
	plainHeaderSize = 32 // VARIABLE_HEADER

	// A variable is live in state VAR_ADDED, and still live while a
	// replacement is being written (VAR_ADDED & VAR_IN_DELETED_TRANSITION).
	varAdded             = 0x3f
	varAddedInTransition = 0x3e
)

// Variable is one live variable of the store.
type Variable struct {
	Name       string
	Vendor     guid.GUID
	Attributes uint32
	Data       []byte
}

// Parse returns the live variables of a VARS image, in store order.
func Parse(image []byte) ([]Variable, error) {
	store, auth, err := variableStore(image)
	if err != nil {
		return nil, err
	}
	hdrSize := plainHeaderSize
	if auth {
		hdrSize = authHeaderSize
	}
	var vars []Variable
	for off := storeHeaderSize; off+hdrSize <= len(store); {
		if binary.LittleEndian.Uint16(store[off:]) != varStartID {
			break // the rest of the store is unused (erased) space
		}
		v, next, live, err := readVariable(store, off, hdrSize)
		if err != nil {
			return nil, err
		}
		if live {
			vars = append(vars, v)
		}
		off = next
	}
	return vars, nil
}

// variableStore checks the firmware volume and variable store headers and
// returns the store (its header included) and whether its variables carry
// authenticated headers.
func variableStore(image []byte) ([]byte, bool, error) {
	if len(image) < fvHeaderLenOff+2 || string(image[fvSignatureOff:fvSignatureOff+4]) != fvSignature {
		return nil, false, fmt.Errorf("ovmfvars: no firmware volume header (%q signature) at the start of the image", fvSignature)
	}
	hl := int(binary.LittleEndian.Uint16(image[fvHeaderLenOff:]))
	if hl+storeHeaderSize > len(image) {
		return nil, false, fmt.Errorf("ovmfvars: firmware volume header length %d is past the end of the image", hl)
	}
	h := image[hl:]
	sig := guid.FromMixed(h[0:16]).String()
	if sig != authenticatedStore && sig != plainStore {
		return nil, false, fmt.Errorf("ovmfvars: variable store signature %s is not EDK2's", sig)
	}
	size := int(binary.LittleEndian.Uint32(h[16:]))
	if h[20] != storeFormatted || h[21] != storeHealthy {
		return nil, false, fmt.Errorf("ovmfvars: variable store is not formatted and healthy (format %#x, state %#x)", h[20], h[21])
	}
	if size < storeHeaderSize || size > len(h) {
		return nil, false, fmt.Errorf("ovmfvars: variable store size %d does not fit the image", size)
	}
	return h[:size], sig == authenticatedStore, nil
}

// readVariable decodes the variable whose header starts at off and returns
// the offset of the next header.
func readVariable(store []byte, off, hdrSize int) (v Variable, next int, live bool, err error) {
	h := store[off : off+hdrSize]
	state := h[2]
	v.Attributes = binary.LittleEndian.Uint32(h[4:])
	nameSize := int(binary.LittleEndian.Uint32(h[hdrSize-24:]))
	dataSize := int(binary.LittleEndian.Uint32(h[hdrSize-20:]))
	v.Vendor = guid.FromMixed(h[hdrSize-16:])
	nameOff := off + hdrSize
	dataOff := nameOff + nameSize
	end := dataOff + dataSize
	if nameSize < 0 || dataSize < 0 || end > len(store) || end < nameOff {
		return v, 0, false, fmt.Errorf("ovmfvars: variable at store offset %#x (name %d bytes, data %d bytes) runs past the store", off, nameSize, dataSize)
	}
	v.Name = efivar.DecodeUCS2(store[nameOff:dataOff])
	v.Data = store[dataOff:end]
	return v, (end + 3) &^ 3, state == varAdded || state == varAddedInTransition, nil
}

// Lookup returns the one live variable with this name and vendor GUID.
func Lookup(vars []Variable, name string, vendor guid.GUID) (Variable, error) {
	var found []Variable
	for _, v := range vars {
		if v.Name == name && v.Vendor == vendor {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		return Variable{}, fmt.Errorf("ovmfvars: %d live variables %s-%s, want 1", len(found), name, vendor)
	}
	return found[0], nil
}
