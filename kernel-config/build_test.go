package kernelconfig

import (
	"context"
	"strings"
	"testing"
)

func TestFragments(t *testing.T) {
	tests := []struct {
		kind      string
		want      []string // options that must be set to y
		forbidden []string // options that must not appear
	}{
		{"installer", []string{"CONFIG_EFI_STUB", "CONFIG_EFIVAR_FS", "CONFIG_BLK_DEV_NVME", "CONFIG_SATA_AHCI", "CONFIG_VIRTIO_BLK", "CONFIG_BLK_DEV_SR", "CONFIG_ISO9660_FS", "CONFIG_USB_STORAGE", "CONFIG_RD_ZSTD", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_FB_EFI"}, []string{"CONFIG_SECURITY_LOCKDOWN_LSM"}},
		{"runtime", []string{"CONFIG_EFI_STUB", "CONFIG_SECURITY_LOCKDOWN_LSM", "CONFIG_EXT4_FS", "CONFIG_VFAT_FS", "CONFIG_VIRTIO_NET"}, []string{"CONFIG_BLK_DEV_SR", "CONFIG_ISO9660_FS", "CONFIG_USB_STORAGE"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			text, err := Fragment(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			opts, err := ParseFragment(text)
			if err != nil {
				t.Fatal(err)
			}
			set := map[string]string{}
			for _, o := range opts {
				if prev, dup := set[o.Name]; dup {
					t.Errorf("%s set twice (%s, %s)", o.Name, prev, o.Value)
				}
				set[o.Name] = o.Value
			}
			if set["CONFIG_MODULES"] != "n" {
				t.Errorf("CONFIG_MODULES = %q, want n: everything is built in", set["CONFIG_MODULES"])
			}
			for _, w := range tt.want {
				if set[w] != "y" {
					t.Errorf("%s = %q, want y", w, set[w])
				}
			}
			for _, f := range tt.forbidden {
				if _, ok := set[f]; ok {
					t.Errorf("%s must not be in the %s kernel", f, tt.kind)
				}
			}
		})
	}
	if _, err := Fragment("desktop"); err == nil {
		t.Error("Fragment(desktop) succeeded, want an error")
	}
}

func TestParseFragmentRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"EFI_STUB=y", "CONFIG_FOO", "CONFIG_FOO="} {
		if _, err := ParseFragment(bad); err == nil {
			t.Errorf("ParseFragment(%q) succeeded", bad)
		}
	}
}

func TestMissing(t *testing.T) {
	frag := []Option{{"CONFIG_A", "y"}, {"CONFIG_B", "n"}, {"CONFIG_C", "y"}, {"CONFIG_D", "n"}, {"CONFIG_E", `"x"`}}
	resolved := strings.Join([]string{
		"CONFIG_A=y",
		"# CONFIG_B is not set",
		"# CONFIG_C is not set",
		`CONFIG_E="x"`,
	}, "\n")
	got := Missing(frag, resolved)
	if len(got) != 1 || !strings.HasPrefix(got[0], "CONFIG_C ") {
		t.Errorf("Missing = %q, want only CONFIG_C", got)
	}
}

func TestBuildMissingSource(t *testing.T) {
	_, err := Build(context.Background(), Options{Kind: "installer", Source: "/nonexistent/linux.tar.xz", CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "apt-get install linux-source") {
		t.Errorf("missing source: %v", err)
	}
}
