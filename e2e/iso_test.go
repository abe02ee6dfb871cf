//go:build e2e

package e2e

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// run runs a tool of the package list, failing the test if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testdisk.Run(t, testdisk.Tool(t, name), args...)
}

// TestISOStructure checks the built ISO with tools that are not ours.
func TestISOStructure(t *testing.T) {
	iso := needFile(t, *isoPath, "build it with make iso")
	et := run(t, "xorriso", "-indev", iso, "-report_el_torito", "plain")
	if !regexp.MustCompile(`El Torito boot img :\s+1\s+UEFI\s+y\s+none`).MatchString(et) {
		t.Errorf("no UEFI El Torito entry:\n%s", et)
	}
	if v := run(t, "sgdisk", "-v", iso); !strings.Contains(v, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", v)
	}
	p := run(t, "sgdisk", "-p", iso)
	m := regexp.MustCompile(`(?m)^\s+1\s+(\d+)\s+(\d+)\s+\S+ \S+\s+EF00`).FindStringSubmatch(p)
	if m == nil {
		t.Fatalf("no EF00 partition 1 in sgdisk -p:\n%s", p)
	}
	start, _ := strconv.ParseInt(m[1], 10, 64)
	end, _ := strconv.ParseInt(m[2], 10, 64)
	// The ESP partition must be a FAT image that fsck.fat accepts and that holds the UKI.
	f, err := os.Open(iso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	esp := filepath.Join(t.TempDir(), "esp.img")
	out, _ := os.Create(esp)
	if _, err := io.Copy(out, io.NewSectionReader(f, start*512, (end-start+1)*512)); err != nil {
		t.Fatal(err)
	}
	out.Close()
	run(t, "fsck.fat", "-n", esp)
	uki := filepath.Join(t.TempDir(), "BOOTX64.EFI")
	run(t, "mcopy", "-i", esp, "::EFI/BOOT/BOOTX64.EFI", uki)
	want, err := os.ReadFile(filepath.Join(filepath.Dir(iso), "plinth-installer.efi"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(uki)
	if !bytes.Equal(got, want) {
		t.Error("BOOTX64.EFI on the ESP differs from out/plinth-installer.efi")
	}
	hdrs := run(t, "objdump", "-h", uki)
	for _, s := range []string{".osrel", ".cmdline", ".uname", ".initrd", ".linux", ".sbat"} {
		if !strings.Contains(hdrs, " "+s+" ") {
			t.Errorf("UKI lacks section %s:\n%s", s, hdrs)
		}
	}
	sums, err := os.ReadFile(filepath.Join(filepath.Dir(iso), "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sum := fileSHA(t, iso)
	if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+filepath.Base(iso)) {
		t.Errorf("SHA256SUMS does not match the ISO:\n%s", sums)
	}
}

// TestMkisoReproducible runs mkiso twice with the same inputs, compiling
// the Go binaries each time: the ISO, the UKIs and the checksums must be
// byte-identical, the disk image included.
func TestMkisoReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mkiso twice")
	}
	var sums []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		cmd := exec.Command("go", "run", "./cmds/mkiso", "-o", filepath.Join(dir, "plinth-installer.iso"), "-version", "repro-test", "-rebuild-go",
			"-disk", filepath.Join(dir, "plinth-disk.img"), "-disk-size", "1G")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkiso run %d: %v\n%s", i+1, err, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, string(b))
	}
	if !strings.Contains(sums[0], "plinth-disk.img") || !strings.Contains(sums[0], "plinth-runtime.efi") {
		t.Fatalf("SHA256SUMS lacks the disk image or runtime UKI:\n%s", sums[0])
	}
	if sums[0] != sums[1] {
		t.Errorf("two mkiso runs differ:\n%s\n%s", sums[0], sums[1])
	}
}
