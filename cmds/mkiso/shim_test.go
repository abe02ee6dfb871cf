package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/sbkeys"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// debianShim is Debian's shim chain (shim-signed,
// shim-helpers-amd64-signed), which -shim takes by default.
func debianShim(t *testing.T) (shim, mm []byte) {
	t.Helper()
	shim, err := os.ReadFile(filepath.Join(defaultShimDir, "shimx64.efi.signed"))
	if err == nil {
		mm, err = os.ReadFile(filepath.Join(defaultShimDir, "mmx64.efi.signed"))
	}
	if err != nil {
		t.Fatalf("%v: make deps installs shim-signed and shim-helpers-amd64-signed", err)
	}
	return shim, mm
}

// With -shim, the ISO's FAT boot image starts shim as BOOTX64.EFI, with
// our signed installer UKI at shim's default second stage, MokManager
// beside it and our db certificate at the root; the installer carries
// the chain and its manifest describes it.
func TestShimBuild(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	keys := filepath.Join(t.TempDir(), "keys")
	set, err := sbkeys.Generate(keys, "Test", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	shim, mm := debianShim(t)
	dir := signedBuild(t, keys, t.TempDir(), "-shim")
	installer, _ := os.ReadFile(filepath.Join(dir, "plinth-installer.efi"))
	esp := bootImage(t, filepath.Join(dir, "plinth-installer.iso"))
	for name, want := range map[string][]byte{
		"EFI/BOOT/BOOTX64.EFI": shim, "EFI/BOOT/grubx64.efi": installer, "EFI/BOOT/mmx64.efi": mm,
		"enroll-plinth-key.cer": set.DB.CertDER,
	} {
		if got := mtype(t, esp, name); !bytes.Equal(got, want) {
			t.Errorf("%s in the FAT boot image: %d bytes, not the %d expected", name, len(got), len(want))
		}
	}
	files := initrdFiles(t, filepath.Join(dir, "plinth-installer.efi"))
	if !bytes.Equal(files[install.ShimPath], shim) || !bytes.Equal(files[install.MokManagerPath], mm) {
		t.Errorf("the installer lacks the shim chain")
	}
	var m install.Manifest
	if err := json.Unmarshal(files[install.ManifestPath], &m); err != nil || m.Shim == nil || m.Shim.Size != int64(len(shim)) ||
		m.MokManager == nil || m.MokManager.Size != int64(len(mm)) {
		t.Errorf("manifest (%v) does not describe the shim chain: %+v", err, m)
	}
}

// -shim needs keys and a Microsoft-signed shim, and says what to do.
func TestShimRefusals(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if _, err := sbkeys.Generate(keys, "Test", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	shim, mm := debianShim(t)
	unsigned := t.TempDir()
	os.WriteFile(filepath.Join(unsigned, "shimx64.efi"), shim[:len(shim)-4096], 0o644) // the signature cut off
	os.WriteFile(filepath.Join(unsigned, "mmx64.efi"), mm, 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-shim"}, "give -secureboot-keys"},
		{[]string{"-shim", "-secureboot-keys", keys, "-shim-dir", t.TempDir()}, "apt-get install shim-signed"},
		{[]string{"-shim", "-secureboot-keys", keys, "-shim-dir", unsigned}, "not signed by Microsoft's UEFI CA"},
	}
	for _, tt := range tests {
		_, err := parseFlags(append([]string{"-o", filepath.Join(t.TempDir(), "x.iso")}, tt.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.want)
		}
	}
}

// bootImage extracts the ISO's El Torito UEFI boot image with xorriso.
func bootImage(t *testing.T, iso string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command(testdisk.Tool(t, "xorriso"), "-osirrox", "on", "-indev", iso, "-extract_boot_images", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	imgs, _ := filepath.Glob(filepath.Join(dir, "*uefi*"))
	if len(imgs) != 1 {
		t.Fatalf("xorriso extracted %v", imgs)
	}
	return imgs[0]
}

// mtype reads a file from a FAT image with mtools.
func mtype(t *testing.T, img, name string) []byte {
	t.Helper()
	cmd := exec.Command(testdisk.Tool(t, "mtype"), "-i", img, "::/"+name)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("mtype %s: %v", name, err)
	}
	return out
}
