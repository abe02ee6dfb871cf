package efivar

import (
	"bytes"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

// Byte vectors worked out by hand from the UEFI Specification 2.10, not
// produced by this package, so that encoder and decoder are checked
// against the spec rather than against each other.

// testPartUUID is 12345678-9abc-def0-1234-56789abcdef0. EFI_GUID stores
// Data1 (uint32), Data2 and Data3 (uint16) little-endian and Data4 as
// bytes (UEFI 2.10 appendix A), so on disk it is:
var testPartUUIDBytes = []byte{
	0x78, 0x56, 0x34, 0x12, // Data1 12345678, little-endian
	0xbc, 0x9a, // Data2 9abc, little-endian
	0xf0, 0xde, // Data3 def0, little-endian
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, // Data4 as is
}

const testPartUUID = "12345678-9abc-def0-1234-56789abcdef0"

// HD(1,GPT,12345678-9abc-def0-1234-56789abcdef0,0x800,0x100000):
// partition 1 starting at LBA 2048, 1048576 blocks (512 MiB) long.
// UEFI 2.10 section 10.3.5.1, Hard Drive Media Device Path, 42 bytes.
var hdVector = concat(
	[]byte{0x04},                   // Type: Media Device Path
	[]byte{0x01},                   // Sub-Type: Hard Drive
	[]byte{0x2a, 0x00},             // Length: 42
	[]byte{0x01, 0x00, 0x00, 0x00}, // Partition Number: 1
	[]byte{0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, // Partition Start: 2048
	[]byte{0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00}, // Partition Size: 0x100000
	testPartUUIDBytes, // Partition Signature: the PARTUUID
	[]byte{0x02},      // Partition Format: 0x02 GUID Partition Table
	[]byte{0x02},      // Signature Type: 0x02 GUID signature
)

// File(\EFI\BOOT\BOOTX64.EFI): UEFI 2.10 section 10.3.5.4, File Path Media
// Device Path. 21 characters plus NUL = 22 CHAR16 = 44 bytes + 4 header.
var fileVector = concat(
	[]byte{0x04},       // Type: Media Device Path
	[]byte{0x04},       // Sub-Type: File Path
	[]byte{0x30, 0x00}, // Length: 48
	[]byte{
		'\\', 0, 'E', 0, 'F', 0, 'I', 0,
		'\\', 0, 'B', 0, 'O', 0, 'O', 0, 'T', 0,
		'\\', 0, 'B', 0, 'O', 0, 'O', 0, 'T', 0, 'X', 0, '6', 0, '4', 0,
		'.', 0, 'E', 0, 'F', 0, 'I', 0,
		0, 0, // NUL terminator
	},
)

// End of Entire Device Path: UEFI 2.10 section 10.3.1, Generic
// Device Path Structures.
var endVector = []byte{
	0x7f,       // Type: End of Hardware Device Path
	0xff,       // Sub-Type: End Entire Device Path
	0x04, 0x00, // Length: 4
}

// Boot#### content for "Plinth" booting HD(...)/File(\EFI\BOOT\BOOTX64.EFI):
// UEFI 2.10 section 3.1.3, EFI_LOAD_OPTION.
var loadOptionVector = concat(
	[]byte{0x01, 0x00, 0x00, 0x00}, // Attributes: LOAD_OPTION_ACTIVE
	[]byte{0x5e, 0x00},             // FilePathListLength: 42 + 48 + 4 = 94
	[]byte{'P', 0, 'l', 0, 'i', 0, 'n', 0, 't', 0, 'h', 0, 0, 0}, // Description, UCS-2 + NUL
	hdVector, fileVector, endVector, // FilePathList
	// no OptionalData
)

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func vectorPath(t testing.TB) DevicePath {
	t.Helper()
	g, err := guid.Parse(testPartUUID)
	if err != nil {
		t.Fatal(err)
	}
	return DevicePath{GPTHardDrive(1, 2048, 1048576, g), FilePath{Path: `\EFI\BOOT\BOOTX64.EFI`}}
}

func TestGUIDVector(t *testing.T) {
	g, err := guid.Parse(testPartUUID)
	if err != nil {
		t.Fatal(err)
	}
	if m := g.Mixed(); !bytes.Equal(m[:], testPartUUIDBytes) {
		t.Errorf("guid.Parse(%s).Mixed() = % x, want % x", testPartUUID, m, testPartUUIDBytes)
	}
	if g.String() != testPartUUID {
		t.Errorf("String() = %s", g)
	}
	// EFI_GLOBAL_VARIABLE as the spec writes it: {0x8BE4DF61,0x93CA,0x11d2,
	// {0xAA,0x0D,0x00,0xE0,0x98,0x03,0x2B,0x8C}}.
	if got := GlobalVariable.String(); got != "8be4df61-93ca-11d2-aa0d-00e098032b8c" {
		t.Errorf("GlobalVariable = %s", got)
	}
	if u, err := guid.Parse("8BE4DF61-93CA-11D2-AA0D-00E098032B8C"); err != nil || u != GlobalVariable {
		t.Errorf("ParseGUID upper case = %v, %v", u, err)
	}
	for _, bad := range []string{"", "8be4df61-93ca-11d2-aa0d-00e098032b8", "8be4df6193ca-11d2-aa0d-00e098032b8c0", "xbe4df61-93ca-11d2-aa0d-00e098032b8c"} {
		if _, err := guid.Parse(bad); err == nil {
			t.Errorf("guid.Parse(%q) succeeded", bad)
		}
	}
}

func TestNodeVectors(t *testing.T) {
	dp := vectorPath(t)
	tests := []struct {
		name string
		dp   DevicePath
		want []byte
	}{
		{"HD", dp[:1], concat(hdVector, endVector)},
		{"File", dp[1:], concat(fileVector, endVector)},
		{"HD/File", dp, concat(hdVector, fileVector, endVector)},
		{"empty", DevicePath{}, endVector},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeDevicePath(tt.dp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("encode:\n got % x\nwant % x", got, tt.want)
			}
			back, err := DecodeDevicePath(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if back.String() != tt.dp.String() || len(back) != len(tt.dp) {
				t.Errorf("decode = %s, want %s", back, tt.dp)
			}
		})
	}
}

func TestLoadOptionVector(t *testing.T) {
	o := &LoadOption{Attributes: LoadOptionActive, Description: "Plinth", FilePaths: []DevicePath{vectorPath(t)}}
	got, err := EncodeLoadOption(o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, loadOptionVector) {
		t.Fatalf("encode:\n got % x\nwant % x", got, loadOptionVector)
	}
	back, err := DecodeLoadOption(loadOptionVector)
	if err != nil {
		t.Fatal(err)
	}
	const wantPath = `HD(1,GPT,12345678-9abc-def0-1234-56789abcdef0,0x800,0x100000)/File(\EFI\BOOT\BOOTX64.EFI)`
	if back.Description != "Plinth" || !back.Active() || back.Path().String() != wantPath || back.OptionalData != nil {
		t.Errorf("decode = %+v, path %s", back, back.Path())
	}
}
