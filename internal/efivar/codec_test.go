package efivar

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

func TestLoadOptionRoundTrip(t *testing.T) {
	g, _ := guid.Parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
	hd := GPTHardDrive(1, 2048, 204800, g)
	mbr := HardDrive{PartitionNumber: 2, PartitionStart: 63, PartitionSize: 1000, MBRSignature: 0xdeadbeef, PartitionFmt: PartitionFormatMBR, SignatureType: SignatureMBR}
	pci := DevicePath{
		RawNode{TypeACPI, 0x01, []byte{0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0}},
		RawNode{TypeHardware, 0x01, []byte{0x00, 0x1f}},
		RawNode{TypeMessaging, 0x12, []byte{0, 0, 0xff, 0xff, 0, 0}},
		hd, FilePath{`\EFI\plinth\plinth.efi`},
	}
	tests := []struct {
		name string
		o    LoadOption
		text string // text of FilePaths[0]
	}{
		{"disk", LoadOption{LoadOptionActive, "Plinth", []DevicePath{{hd, FilePath{`\EFI\plinth\plinth.efi`}}}, nil},
			`HD(1,GPT,c12a7328-f81f-11d2-ba4b-00a0c93ec93b,0x800,0x32000)/File(\EFI\plinth\plinth.efi)`},
		{"inactive with optional data", LoadOption{0, "Linux", []DevicePath{{hd, FilePath{`\vmlinuz`}}}, []byte("root=PARTUUID=x ro")},
			`HD(1,GPT,c12a7328-f81f-11d2-ba4b-00a0c93ec93b,0x800,0x32000)/File(\vmlinuz)`},
		{"MBR", LoadOption{LoadOptionActive, "Old", []DevicePath{{mbr, FilePath{`\a.efi`}}}, nil},
			`HD(2,MBR,0xdeadbeef,0x3f,0x3e8)/File(\a.efi)`},
		{"full path", LoadOption{LoadOptionActive, "SATA", []DevicePath{pci}, nil},
			`PciRoot(0x0)/Pci(0x1f,0x0)/Sata(0,65535,0)/HD(1,GPT,c12a7328-f81f-11d2-ba4b-00a0c93ec93b,0x800,0x32000)/File(\EFI\plinth\plinth.efi)`},
		{"firmware app", LoadOption{LoadOptionActive | LoadOptionCategoryApp | LoadOptionHidden, "UiApp", []DevicePath{{
			RawNode{TypeMedia, 0x07, bytes.Repeat([]byte{0xc9}, 16)},
			RawNode{TypeMedia, 0x06, bytes.Repeat([]byte{0x21}, 16)},
		}}, nil}, `FvVol(c9c9c9c9-c9c9-c9c9-c9c9-c9c9c9c9c9c9)/FvFile(21212121-2121-2121-2121-212121212121)`},
		{"two paths, unicode", LoadOption{LoadOptionActive, "Plinth é ✓", []DevicePath{{hd, FilePath{`\Ünï.efi`}}, {FilePath{`\initrd`}}}, []byte{0}},
			`HD(1,GPT,c12a7328-f81f-11d2-ba4b-00a0c93ec93b,0x800,0x32000)/File(\Ünï.efi)`},
		{"multi-instance and unknown", LoadOption{LoadOptionActive, "x", []DevicePath{{
			RawNode{TypeBBS, 0x01, []byte{1, 2, 3}},
			RawNode{TypeEnd, SubTypeEndInstance, nil},
			RawNode{0x42, 0x42, []byte{}},
		}}, nil}, `Path(5,1,010203)/,/Path(66,66,)`},
		{"empty description", LoadOption{LoadOptionActive, "", []DevicePath{{}}, nil}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeLoadOption(&tt.o)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeLoadOption(b)
			if err != nil {
				t.Fatal(err)
			}
			normalize(&tt.o)
			normalize(got)
			if !reflect.DeepEqual(*got, tt.o) {
				t.Errorf("round trip:\n got %#v\nwant %#v", *got, tt.o)
			}
			if s := got.Path().String(); s != tt.text {
				t.Errorf("text = %s\nwant %s", s, tt.text)
			}
			if err := validateLoadOptionBytes(b); err != nil {
				t.Errorf("kernel-style validation: %v", err)
			}
		})
	}
}

// normalize makes RawNode data nil-or-empty agnostic for DeepEqual.
func normalize(o *LoadOption) {
	for _, dp := range o.FilePaths {
		for i, n := range dp {
			if r, ok := n.(RawNode); ok && len(r.Data) == 0 {
				r.Data = nil
				dp[i] = r
			}
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	hd := GPTHardDrive(1, 34, 100, guid.GUID{1})
	tests := []struct {
		name string
		o    LoadOption
		want string
	}{
		{"no path", LoadOption{Description: "x"}, "no device path"},
		{"NUL in description", LoadOption{Description: "a\x00b", FilePaths: []DevicePath{{hd}}}, "NUL"},
		{"non-BMP description", LoadOption{Description: "boot 🚀", FilePaths: []DevicePath{{hd}}}, "outside UCS-2"},
		{"invalid UTF-8", LoadOption{Description: "a\xffb", FilePaths: []DevicePath{{hd}}}, "not valid UTF-8"},
		{"non-BMP file", LoadOption{Description: "x", FilePaths: []DevicePath{{hd, FilePath{`\𝄞.efi`}}}}, "outside UCS-2"},
		{"nil node", LoadOption{Description: "x", FilePaths: []DevicePath{{nil}}}, "nil"},
		{"End inside", LoadOption{Description: "x", FilePaths: []DevicePath{{RawNode{TypeEnd, SubTypeEndEntire, nil}, hd}}}, "End Entire"},
		{"node too long", LoadOption{Description: "x", FilePaths: []DevicePath{{RawNode{1, 1, make([]byte, 0x10000)}}}}, "more than a node can hold"},
		{"list too long", LoadOption{Description: "x", FilePaths: []DevicePath{{
			RawNode{1, 1, make([]byte, 0xfff0)}, RawNode{1, 1, make([]byte, 0xfff0)}}}}, "FilePathListLength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeLoadOption(&tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{1, 0, 0, 0, 4}, "too short"},
		{"no NUL", []byte{1, 0, 0, 0, 4, 0, 'a', 0}, "no NUL"},
		{"list overruns", concat([]byte{1, 0, 0, 0, 9, 0, 0, 0}, endVector), "exceeds"},
		{"empty list", []byte{1, 0, 0, 0, 0, 0, 0, 0}, "empty FilePathList"},
		{"no End", concat([]byte{1, 0, 0, 0, 42, 0, 0, 0}, hdVector), "no End"},
		{"node length 0", concat([]byte{1, 0, 0, 0, 8, 0, 0, 0}, []byte{4, 4, 0, 0}, endVector), "bad length 0"},
		{"node past list", concat([]byte{1, 0, 0, 0, 8, 0, 0, 0}, []byte{4, 4, 9, 0}, endVector), "bad length 9"},
		{"short HD", concat([]byte{1, 0, 0, 0, 10, 0, 0, 0}, []byte{4, 1, 6, 0, 1, 0}, endVector), "HD() node is 6 bytes"},
		{"odd File", concat([]byte{1, 0, 0, 0, 9, 0, 0, 0}, []byte{4, 4, 5, 0, 'a'}, endVector), "odd length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeLoadOption(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := DecodeDevicePath(concat(endVector, []byte{0})); err == nil || !strings.Contains(err.Error(), "after the End") {
		t.Errorf("trailing bytes: err = %v", err)
	}
}

func TestDecodeLenient(t *testing.T) {
	// A File() node without its NUL, as some firmware writes it.
	b := concat([]byte{4, 4, 8, 0, '\\', 0, 'a', 0}, endVector)
	dp, err := DecodeDevicePath(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := dp.String(); got != `File(\a)` {
		t.Errorf("got %s", got)
	}
	// A lone surrogate decodes to U+FFFD and then encodes stably.
	dp, err = DecodeDevicePath(concat([]byte{4, 4, 8, 0, 0x00, 0xd8, 0, 0}, endVector))
	if err != nil {
		t.Fatal(err)
	}
	if got := dp.LoaderPath(); got != "\uFFFD" {
		t.Errorf("got %q", got)
	}
	if _, err := EncodeDevicePath(dp); err != nil {
		t.Error(err)
	}
}

func TestNodeText(t *testing.T) {
	tests := []struct {
		n    Node
		want string
	}{
		{RawNode{TypeACPI, 1, []byte{0xd0, 0x41, 0x08, 0x0a, 1, 0, 0, 0}}, "PcieRoot(0x1)"},
		{RawNode{TypeACPI, 1, []byte{0xd0, 0x41, 0x01, 0x05, 1, 0, 0, 0}}, "Acpi(PNP0501,0x1)"},
		{RawNode{TypeMessaging, 0x17, []byte{1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}}, "NVMe(0x1,01-02-03-04-05-06-07-08)"},
		{RawNode{TypeMessaging, 0x05, []byte{3, 0}}, "USB(3,0)"},
		{RawNode{TypeMessaging, 0x01, []byte{1, 0, 0, 0}}, "Ata(1,0,0)"},
		{RawNode{TypeMessaging, 0x02, []byte{2, 0, 1, 0}}, "Scsi(2,1)"},
		{RawNode{TypeMessaging, 0x0b, append([]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}, append(make([]byte, 26), 1)...)}, "MAC(525400123456,0x1)"},
		{RawNode{TypeMessaging, 0x18, []byte("http://x/a.efi")}, `Uri("http://x/a.efi")`},
		{RawNode{TypeMedia, 0x02, append([]byte{1, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0}, 0x20, 0, 0, 0, 0, 0, 0, 0)}, "CDROM(0x1,0x10,0x20)"},
		{RawNode{TypeMedia, 0x08, append(make([]byte, 4), 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0)}, "Offset(0x1,0x2)"},
		{RawNode{TypeMedia, 0x03, append(make([]byte, 16), 0xab)}, "VenMedia(00000000-0000-0000-0000-000000000000,ab)"},
		{RawNode{TypeHardware, 0x04, make([]byte, 16)}, "VenHw(00000000-0000-0000-0000-000000000000)"},
		{RawNode{TypeMessaging, 0x0a, make([]byte, 16)}, "VenMsg(00000000-0000-0000-0000-000000000000)"},
		{RawNode{TypeHardware, 0x01, []byte{1}}, "Path(1,1,01)"}, // wrong length: generic
		{HardDrive{PartitionNumber: 1, PartitionStart: 2, PartitionSize: 3, PartitionFmt: 7, SignatureType: 9}, "HD(1,7,9,00000000000000000000000000000000,0x2,0x3)"},
	}
	for _, tt := range tests {
		if got := tt.n.String(); got != tt.want {
			t.Errorf("%#v: got %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestNormalizeLoaderPath(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"/EFI/plinth/plinth.efi", `\EFI\plinth\plinth.efi`, ""},
		{`\EFI\BOOT\BOOTX64.EFI`, `\EFI\BOOT\BOOTX64.EFI`, ""},
		{`/EFI\mixed/x.efi`, `\EFI\mixed\x.efi`, ""},
		{"EFI/plinth/plinth.efi", "", "must be absolute"},
		{"", "", "must be absolute"},
		{"/EFI//x.efi", "", "empty path element"},
		{"/EFI/", "", "empty path element"},
	}
	for _, tt := range tests {
		got, err := NormalizeLoaderPath(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
