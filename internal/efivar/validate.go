package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/guid"
)

// validateVariable repeats the checks the Linux kernel applies to writes of
// well-known variables (drivers/firmware/efi/vars.c, variable_validate), so
// that MemStore rejects what efivarfs would reject with a bare EINVAL, and
// the error says why.
func validateVariable(name string, vendor guid.GUID, data []byte) error {
	if vendor != GlobalVariable {
		return nil
	}
	switch name {
	case "BootNext", "BootCurrent", "Timeout":
		if len(data) != 2 {
			return fmt.Errorf("%s must be 2 bytes, got %d", name, len(data))
		}
		return nil
	case "BootOrder", "DriverOrder", "SysPrepOrder":
		if len(data)%2 != 0 {
			return fmt.Errorf("%s must be a list of UINT16, got %d bytes", name, len(data))
		}
		return nil
	}
	for _, prefix := range []string{"Boot", "Driver", "SysPrep"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok && len(rest) == 4 && isHex(rest) {
			return validateLoadOptionBytes(data)
		}
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validateLoadOptionBytes is the kernel's validate_load_option: looser than
// DecodeLoadOption, on purpose, so that rewriting a firmware-made entry we
// cannot fully decode still passes.
func validateLoadOptionBytes(b []byte) error {
	if len(b) < 8 {
		return errors.New("load option shorter than 8 bytes")
	}
	fpLen := int(binary.LittleEndian.Uint16(b[4:]))
	_, n, ok := decodeUCS2(b[6:])
	if !ok {
		return errors.New("load option description has no NUL terminator")
	}
	if 6+n+fpLen > len(b) {
		return errors.New("load option FilePathListLength runs past the end")
	}
	list := b[6+n : 6+n+fpLen]
	for off := 0; off+nodeHeaderLen <= len(list); {
		l := int(binary.LittleEndian.Uint16(list[off+2:]))
		if l < nodeHeaderLen || l > len(list)-off {
			break
		}
		if list[off] == TypeEnd && list[off+1] == SubTypeEndEntire {
			return nil
		}
		off += l
	}
	return errors.New("load option device path has no End node")
}
