package efivar

import (
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

func TestParseDevicePathRoundTrip(t *testing.T) {
	id := guid.MustParse("6f1d0a3c-2b5e-4c77-9a10-0123456789ab")
	tests := []DevicePath{
		{GPTHardDrive(1, 0x800, 0x100000, id), FilePath{Path: `\EFI\plinth\plinth.efi`}},
		{GPTHardDrive(12, 0x100, 0x20000, id), FilePath{Path: `\EFI\BOOT\BOOTX64.EFI`}},
		{FilePath{Path: `\shell.efi`}},
	}
	for _, dp := range tests {
		got, err := ParseDevicePath(dp.String())
		if err != nil {
			t.Fatalf("ParseDevicePath(%s): %v", dp, err)
		}
		if !reflect.DeepEqual(got, dp) {
			t.Errorf("ParseDevicePath(%s) = %#v, want %#v", dp, got, dp)
		}
		a, _ := EncodeDevicePath(dp)
		b, _ := EncodeDevicePath(got)
		if string(a) != string(b) {
			t.Errorf("%s: encodings differ after the round trip", dp)
		}
	}
}

func TestParseDevicePathRefuses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty device path"},
		{"HD(1,MBR,0x1234abcd,0x800,0x1000)", "want HD(number,GPT,guid,start,size)"},
		{"HD(1,GPT,not-a-guid,0x800,0x1000)", "guid"},
		{"HD(1,GPT,6f1d0a3c-2b5e-4c77-9a10-0123456789ab,0x800)", "want HD(number,GPT,guid,start,size)"},
		{"HD(x,GPT,6f1d0a3c-2b5e-4c77-9a10-0123456789ab,0x800,0x1)", "partition number"},
		{"PciRoot(0x0)/HD(1,GPT,6f1d0a3c-2b5e-4c77-9a10-0123456789ab,0x800,0x1)", "only HD"},
		{`File(\a.efi)File(\b.efi)`, "want / between nodes"},
		{`File(\a.efi)/`, "want / between nodes"},
		{`File(\a.efi`, "no closing parenthesis"},
		{`File()`, "empty path"},
	}
	for _, tt := range tests {
		if _, err := ParseDevicePath(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDevicePath(%q) = %v, want an error with %q", tt.in, err, tt.want)
		}
	}
}
