package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BootOptionName returns the variable name of boot option num: Boot%04X.
// UEFI requires upper-case hex digits.
func BootOptionName(num uint16) string { return fmt.Sprintf("Boot%04X", num) }

// ParseBootOptionName returns num for a name Boot#### (four upper-case hex
// digits); ok is false for any other name, BootOrder included.
func ParseBootOptionName(name string) (num uint16, ok bool) {
	if len(name) != 8 || name[:4] != "Boot" {
		return 0, false
	}
	for _, c := range name[4:] {
		var d uint16
		switch {
		case '0' <= c && c <= '9':
			d = uint16(c - '0')
		case 'A' <= c && c <= 'F':
			d = uint16(c-'A') + 10
		default:
			return 0, false
		}
		num = num<<4 | d
	}
	return num, true
}

// ReadBootOrder returns BootOrder, or an error wrapping ErrNotFound if it
// is not set.
func ReadBootOrder(s Store) ([]uint16, error) {
	_, b, err := s.Get("BootOrder", GlobalVariable)
	if err != nil {
		return nil, err
	}
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("efivar: BootOrder has odd length %d", len(b))
	}
	order := make([]uint16, len(b)/2)
	for i := range order {
		order[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return order, nil
}

// readBootOrderOrEmpty is ReadBootOrder with "not set" meaning empty.
func readBootOrderOrEmpty(s Store) ([]uint16, error) {
	order, err := ReadBootOrder(s)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return order, err
}

// WriteBootOrder sets BootOrder; an empty order deletes the variable, as
// an empty UEFI variable cannot exist.
func WriteBootOrder(s Store, order []uint16) error {
	if len(order) == 0 {
		return DeleteBootOrder(s)
	}
	b := make([]byte, 0, 2*len(order))
	for _, n := range order {
		b = binary.LittleEndian.AppendUint16(b, n)
	}
	// The store's errors already name the variable.
	return s.Set("BootOrder", GlobalVariable, AttrsNVBSRT, b)
}

// DeleteBootOrder removes BootOrder; it is not an error if it is unset.
func DeleteBootOrder(s Store) error { return deleteIfExists(s, "BootOrder") }

// ReadBootNext returns BootNext, or an error wrapping ErrNotFound.
func ReadBootNext(s Store) (uint16, error) { return readU16(s, "BootNext") }

// SetBootNext makes the firmware boot option num once, at the next boot.
func SetBootNext(s Store, num uint16) error { return writeU16(s, "BootNext", num) }

// DeleteBootNext removes BootNext; it is not an error if it is unset.
func DeleteBootNext(s Store) error { return deleteIfExists(s, "BootNext") }

// ReadBootCurrent returns the option the firmware booted, or an error
// wrapping ErrNotFound.
func ReadBootCurrent(s Store) (uint16, error) { return readU16(s, "BootCurrent") }

// ReadTimeout returns the boot menu timeout in seconds, or an error
// wrapping ErrNotFound.
func ReadTimeout(s Store) (uint16, error) { return readU16(s, "Timeout") }

// SetTimeout sets the boot menu timeout in seconds.
func SetTimeout(s Store, seconds uint16) error { return writeU16(s, "Timeout", seconds) }

// DeleteTimeout removes Timeout; it is not an error if it is unset.
func DeleteTimeout(s Store) error { return deleteIfExists(s, "Timeout") }

func readU16(s Store, name string) (uint16, error) {
	_, b, err := s.Get(name, GlobalVariable)
	if err != nil {
		return 0, err
	}
	if len(b) != 2 {
		return 0, fmt.Errorf("efivar: %s is %d bytes, want 2", name, len(b))
	}
	return binary.LittleEndian.Uint16(b), nil
}

func writeU16(s Store, name string, v uint16) error {
	return s.Set(name, GlobalVariable, AttrsNVBSRT, binary.LittleEndian.AppendUint16(nil, v))
}

func deleteIfExists(s Store, name string) error {
	if err := s.Delete(name, GlobalVariable); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
