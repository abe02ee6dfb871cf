package gpt

import (
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

func TestParseType(t *testing.T) {
	tests := []struct {
		in      string
		want    guid.GUID
		wantErr string
	}{
		{"EF00", TypeESP, ""},
		{"ef00", TypeESP, ""},
		{"8300", TypeLinuxFS, ""},
		{"8200", TypeLinuxSwap, ""},
		{"0700", TypeMSBasicData, ""},
		{"EF02", TypeBIOSBoot, ""},
		{"8304", TypeLinuxRootAMD64, ""},
		{"8305", TypeLinuxRootARM64, ""},
		{"8302", TypeLinuxHome, ""},
		{"8306", TypeLinuxSrv, ""},
		{"8310", TypeLinuxVar, ""},
		{"8309", TypeLinuxLUKS, ""},
		{"8E00", TypeLinuxLVM, ""},
		{"FD00", TypeLinuxRAID, ""},
		{"EA00", TypeXBOOTLDR, ""},
		{"0C01", TypeMSReserved, ""},
		{"0FC63DAF-8483-4772-8E79-3D69D8477DE4", TypeLinuxFS, ""},
		{"12345678-1234-1234-1234-123456789abc", guid.MustParse("12345678-1234-1234-1234-123456789ABC"), ""},
		{"1234", guid.GUID{}, "unknown type code"},
		{"ZZZZ", guid.GUID{}, "bad type code"},
		{"EF0", guid.GUID{}, "bad type"},
		{"linux", guid.GUID{}, "bad type"},
		{"00000000-0000-0000-0000-000000000000", guid.GUID{}, "unused-entry"},
		{"0FC63DAF-8483-4772-8E79-3D69D8477DEX", guid.GUID{}, "bad GUID"},
	}
	for _, tc := range tests {
		got, err := ParseType(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseType(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseType(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestTypeCode(t *testing.T) {
	tests := []struct {
		g          guid.GUID
		code, name string
	}{
		{TypeESP, "EF00", "EFI system partition"}, // not Fuchsia's F108, same GUID
		{TypeLinuxFS, "8300", "Linux filesystem"},
		{guid.MustParse("7412F7D5-A156-4B13-81DC-867174929325"), "3000", "ONIE boot"},
		{guid.MustParse("12345678-1234-1234-1234-123456789ABC"), "FFFF", "Unknown"},
	}
	for _, tc := range tests {
		if code, name := TypeCode(tc.g); code != tc.code || name != tc.name {
			t.Errorf("TypeCode(%s) = %s %q, want %s %q", tc.g, code, name, tc.code, tc.name)
		}
	}
}
