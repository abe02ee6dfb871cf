package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EFI_LOAD_OPTION Attributes (UEFI 2.10 section 3.1.3).
const (
	LoadOptionActive         uint32 = 0x00000001
	LoadOptionForceReconnect uint32 = 0x00000002
	LoadOptionHidden         uint32 = 0x00000008
	LoadOptionCategoryApp    uint32 = 0x00000100
)

// LoadOption is an EFI_LOAD_OPTION, the content of a Boot#### variable:
//
//	UINT32   Attributes
//	UINT16   FilePathListLength   bytes of FilePathList
//	CHAR16   Description[]        NUL-terminated UCS-2
//	EFI_DEVICE_PATH FilePathList[] one or more paths, each ending in End
//	UINT8    OptionalData[]       the rest of the variable
type LoadOption struct {
	Attributes  uint32
	Description string
	// FilePaths[0] locates the image to load; further paths are
	// OS-specific and rarely present.
	FilePaths    []DevicePath
	OptionalData []byte
}

// Path returns FilePaths[0], the path of the image, or nil.
func (o *LoadOption) Path() DevicePath {
	if len(o.FilePaths) == 0 {
		return nil
	}
	return o.FilePaths[0]
}

// Active reports whether LOAD_OPTION_ACTIVE is set.
func (o *LoadOption) Active() bool { return o.Attributes&LoadOptionActive != 0 }

// EncodeLoadOption returns the bytes of o as stored in a Boot#### variable.
func EncodeLoadOption(o *LoadOption) ([]byte, error) {
	if len(o.FilePaths) == 0 {
		return nil, errors.New("efivar: load option has no device path")
	}
	b := binary.LittleEndian.AppendUint32(nil, o.Attributes)
	b = append(b, 0, 0) // FilePathListLength, filled in below
	b, err := appendUCS2(b, o.Description)
	if err != nil {
		return nil, fmt.Errorf("efivar: load option description: %w", err)
	}
	start := len(b)
	for i, dp := range o.FilePaths {
		if b, err = appendDevicePath(b, dp); err != nil {
			return nil, fmt.Errorf("efivar: load option path %d: %w", i, err)
		}
	}
	l := len(b) - start
	if l > 0xffff {
		return nil, fmt.Errorf("efivar: load option device paths take %d bytes, more than FilePathListLength can hold", l)
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(l))
	return append(b, o.OptionalData...), nil
}

// DecodeLoadOption parses the content of a Boot#### variable.
func DecodeLoadOption(b []byte) (*LoadOption, error) {
	if len(b) < 6 {
		return nil, fmt.Errorf("efivar: load option is %d bytes, too short", len(b))
	}
	o := &LoadOption{Attributes: binary.LittleEndian.Uint32(b)}
	fpLen := int(binary.LittleEndian.Uint16(b[4:]))
	desc, n, ok := decodeUCS2(b[6:])
	if !ok {
		return nil, errors.New("efivar: load option description has no NUL terminator")
	}
	o.Description = desc
	off := 6 + n
	if fpLen > len(b)-off {
		return nil, fmt.Errorf("efivar: load option FilePathListLength %d exceeds the %d bytes left", fpLen, len(b)-off)
	}
	if fpLen == 0 {
		return nil, errors.New("efivar: load option has an empty FilePathList")
	}
	list := b[off : off+fpLen]
	for len(list) > 0 {
		dp, used, err := decodeDevicePath(list)
		if err != nil {
			return nil, fmt.Errorf("efivar: load option path %d: %w", len(o.FilePaths), err)
		}
		o.FilePaths = append(o.FilePaths, dp)
		list = list[used:]
	}
	if rest := b[off+fpLen:]; len(rest) > 0 {
		o.OptionalData = append([]byte(nil), rest...)
	}
	return o, nil
}
