package gpt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/guid"
)

// Well-known partition type GUIDs (UEFI spec and the Discoverable
// Partitions Specification). ParseType knows all of sgdisk's codes; these
// are the ones Plinth's own code names.
var (
	TypeESP            = guid.MustParse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B") // EF00
	TypeBIOSBoot       = guid.MustParse("21686148-6449-6E6F-744E-656564454649") // EF02
	TypeLinuxFS        = guid.MustParse("0FC63DAF-8483-4772-8E79-3D69D8477DE4") // 8300
	TypeLinuxSwap      = guid.MustParse("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F") // 8200
	TypeLinuxRootAMD64 = guid.MustParse("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709") // 8304
	TypeLinuxRootARM64 = guid.MustParse("B921B045-1DF0-41C3-AF44-4C6F280D3FAE") // 8305
	TypeLinuxHome      = guid.MustParse("933AC7E1-2EB4-4F13-B844-0E14E2AEF915") // 8302
	TypeLinuxSrv       = guid.MustParse("3B8F8425-20E0-4F3B-907F-1A25A76F98E8") // 8306
	TypeLinuxVar       = guid.MustParse("4D21B016-B534-45C2-A9FB-5C16E091FD2D") // 8310
	TypeLinuxLUKS      = guid.MustParse("CA7D7CCB-63ED-4C53-861C-1742536059CC") // 8309
	TypeLinuxLVM       = guid.MustParse("E6D6D379-F507-44C2-A23C-238F2A3DF928") // 8E00
	TypeLinuxRAID      = guid.MustParse("A19D880F-05FC-4D3B-A006-743F0F84911E") // FD00
	TypeXBOOTLDR       = guid.MustParse("BC13C2FF-59E6-4262-A352-B275FD6F7172") // EA00
	TypeMSBasicData    = guid.MustParse("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7") // 0700
	TypeMSReserved     = guid.MustParse("E3C9E316-0B5C-4DB8-817D-F92DF00215AE") // 0C01
)

type typeCode struct {
	code uint16
	guid guid.GUID
	name string
}

// ParseType accepts an sgdisk type code ("EF00", "8300", any case) or a
// type GUID. An unknown code is an error; sgdisk would silently fall back
// to 8300, which is how disks end up with the wrong type.
func ParseType(s string) (guid.GUID, error) {
	if len(s) == 4 {
		c, err := strconv.ParseUint(s, 16, 16)
		if err != nil {
			return guid.GUID{}, fmt.Errorf("gpt: bad type code %q: want 4 hex digits or a GUID", s)
		}
		for _, tc := range typeCodes() {
			if tc.code == uint16(c) {
				return tc.guid, nil
			}
		}
		return guid.GUID{}, fmt.Errorf("gpt: unknown type code %q (sgdisk -L lists the known ones)", s)
	}
	if !strings.Contains(s, "-") {
		return guid.GUID{}, fmt.Errorf("gpt: bad type %q: want a 4-digit code like EF00 or a GUID", s)
	}
	g, err := guid.Parse(s)
	if err != nil {
		return guid.GUID{}, err
	}
	if g.IsZero() {
		return guid.GUID{}, fmt.Errorf("gpt: type %q is the unused-entry GUID", s)
	}
	return g, nil
}

// TypeCode returns sgdisk's code for a type GUID ("EF00") and its
// description, or "FFFF" and "Unknown" as sgdisk prints them.
func TypeCode(t guid.GUID) (code, name string) {
	for _, tc := range typeCodes() {
		if tc.guid == t {
			return fmt.Sprintf("%04X", tc.code), tc.name
		}
	}
	return "FFFF", "Unknown"
}
