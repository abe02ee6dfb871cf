package bootchain

import (
	"testing"

	"github.com/plinth-os/plinth/internal/efivar"
)

func TestChain(t *testing.T) {
	tests := []struct {
		name   string
		chain  Chain
		files  map[string]Binary
		loader string
		second string
	}{
		{"direct", Chain{}, map[string]Binary{
			"EFI/plinth/acme.efi": RuntimeUKI, "EFI/BOOT/BOOTX64.EFI": RuntimeUKI,
		}, "EFI/plinth/acme.efi", ""},
		{"shim", Chain{Shim: true}, map[string]Binary{
			"EFI/plinth/acme.efi": RuntimeUKI, "EFI/plinth/shimx64.efi": Shim, "EFI/plinth/mmx64.efi": MokManager,
			"EFI/BOOT/BOOTX64.EFI": Shim, "EFI/BOOT/grubx64.efi": RuntimeUKI, "EFI/BOOT/mmx64.efi": MokManager,
		}, "EFI/plinth/shimx64.efi", `\EFI\plinth\acme.efi`},
	}
	for _, tt := range tests {
		files := tt.chain.Files("EFI/plinth/acme.efi")
		if len(files) != len(tt.files) {
			t.Errorf("%s: %d files, want %d: %v", tt.name, len(files), len(tt.files), files)
		}
		for _, f := range files {
			if tt.files[f.Path] != f.Binary || f.What == "" {
				t.Errorf("%s: %s holds %s (%q), want %s", tt.name, f.Path, f.Binary, f.What, tt.files[f.Path])
			}
		}
		e := tt.chain.Entry("EFI/plinth/acme.efi")
		if e.Loader != tt.loader || e.SecondStage != tt.second {
			t.Errorf("%s: entry %+v, want %s with %q", tt.name, e, tt.loader, tt.second)
		}
		data, err := e.OptionalData()
		if err != nil || efivar.DecodeUCS2(data) != tt.second || (tt.second == "") != (data == nil) {
			t.Errorf("%s: optional data %q, %v", tt.name, data, err)
		}
		if tt.second != "" && (len(data) != 2*len(tt.second)+2 || data[len(data)-1] != 0 || data[len(data)-2] != 0) {
			t.Errorf("%s: optional data %x is not a NUL-terminated UCS-2 string", tt.name, data)
		}
	}
}

func TestUEFIPath(t *testing.T) {
	for in, want := range map[string]string{"EFI/plinth/a.efi": `\EFI\plinth\a.efi`, "/EFI/BOOT/BOOTX64.EFI": `\EFI\BOOT\BOOTX64.EFI`} {
		if got := UEFIPath(in); got != want {
			t.Errorf("UEFIPath(%q) = %q, want %q", in, got, want)
		}
	}
}
