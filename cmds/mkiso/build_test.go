package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// standInKernel returns a file that is a bzImage as far as mkiso looks:
// a boot header whose kernel_version points at release.
func standInKernel(t *testing.T, release string) string {
	t.Helper()
	bz := make([]byte, 0x1000)
	copy(bz[0x202:], "HdrS")
	bz[0x20F] = 0x02 // version string at 0x200 + 0x200
	copy(bz[0x400:], release+" (stand-in) #1\x00")
	p := filepath.Join(t.TempDir(), "bzImage")
	if err := os.WriteFile(p, bz, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// seedBusybox puts stand-in busybox binaries where mkiso's cache looks for
// them, so the build skips the Go compile.
func seedBusybox(t *testing.T, cfg config, cacheDir string) {
	t.Helper()
	runtimeCmds, _ := runtimeContents(cfg.payloads)
	for name, cmds := range map[string][]string{"installer": installerCommands, "runtime": runtimeCmds} {
		key, err := sourceKey(cfg.PlinthDir, cmds)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(cacheDir, "bb", name+"-"+key)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("\x7fELF stand-in "+name+" busybox"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// doneLine is how a finished step is printed: name padded to 28, duration
// right-aligned in 7, then what it produced.
var doneLine = regexp.MustCompile(`^    (.{28}) ( *[0-9][0-9.hmsµn]*)  (.+)$`)

// TestBuildSteps runs the whole build with stand-in kernels and busybox
// binaries: every step is printed in order with its duration and output,
// SHA256SUMS matches the files (checked with sha256sum), and a second build
// gives the same bytes.
func TestBuildSteps(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	sha256sum := testdisk.Tool(t, "sha256sum")
	installerKernel, runtimeKernel := standInKernel(t, "6.1.0-installer"), standInKernel(t, "6.1.0-runtime")
	cache := t.TempDir()
	run := func() (dir, log string) {
		dir = t.TempDir()
		cfg, err := parseFlags([]string{
			"-o", filepath.Join(dir, "plinth-installer.iso"), "-kernel", installerKernel, "-runtime-kernel", runtimeKernel,
			"-cache-dir", cache, "-version", "1.2.3", "-disk", filepath.Join(dir, "disk.img"), "-disk-size", "770M",
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		seedBusybox(t, cfg, cache)
		var out bytes.Buffer
		if err := build(context.Background(), cfg, &out); err != nil {
			t.Fatalf("build: %v\n%s", err, out.String())
		}
		return dir, out.String()
	}
	dir, log := run()
	t.Logf("build log:\n%s", log)

	wantSteps := []struct{ name, output string }{
		{"secure boot keys", "not signing: no Secure Boot keys"},
		{"brand", `"Plinth", splash `},
		{"services", "no Go services"},
		{"product spec", "1 service(s), 0 setting(s), 0 user(s)"},
		{"runtime busybox binary", "cached, commands: init appliance plinth-update plinth-demo"},
		{"installer busybox binary", "cached, commands: init installer gptpart mkfs-vfat mkfs-ext4 efibootmgr"},
		{"kernel installer", "6.1.0-installer, prebuilt"},
		{"kernel runtime", "6.1.0-runtime, prebuilt"},
		{"runtime initramfs", "zstd, 0 static payload(s)"},
		{"runtime UKI", "-> " + filepath.Join(dir, "plinth-runtime.efi")},
		{"update bundle", "no update bundle"},
		{"disk image", "770.0 MiB sparse"},
		{"initramfs", "zstd (runtime UKI, manifest inside)"},
		{"installer UKI", "-> " + filepath.Join(dir, "plinth-installer.efi")},
		{"EFI boot image (FAT)", "MiB ("},
		{"ISO", "-> " + filepath.Join(dir, "plinth-installer.iso")},
		{"SHA256SUMS", filepath.Join(dir, "SHA256SUMS")},
	}
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	if len(lines) != 2*len(wantSteps)+1 {
		t.Fatalf("%d log lines, want a start and an end line for each of %d steps and a last line", len(lines), len(wantSteps))
	}
	for i, w := range wantSteps {
		if start := lines[2*i]; start != "==> "+w.name {
			t.Errorf("line %d = %q, want the start of step %q", 2*i+1, start, w.name)
		}
		m := doneLine.FindStringSubmatch(lines[2*i+1])
		if m == nil || strings.TrimRight(m[1], " ") != w.name || !strings.Contains(m[3], w.output) {
			t.Errorf("line %d = %q, want the end of step %q with %q", 2*i+2, lines[2*i+1], w.name, w.output)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "mkiso: done in ") {
		t.Errorf("last line %q", last)
	}

	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"plinth-installer.iso", "plinth-installer.efi", "plinth-runtime.efi", "disk.img"} {
		if !bytes.Contains(sums, []byte("  "+f+"\n")) {
			t.Errorf("SHA256SUMS lacks %s:\n%s", f, sums)
		}
	}
	check := exec.Command(sha256sum, "-c", "--strict", "SHA256SUMS")
	check.Dir = dir // the sums name files relative to their own directory
	if out, err := check.CombinedOutput(); err != nil || strings.Count(string(out), ": OK\n") != 4 {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
	checkNoBundle(t, dir)
	if v, _ := os.ReadFile(filepath.Join(dir, "version")); string(v) != "1.2.3\n" {
		t.Errorf("version file %q", v)
	}

	dir2, _ := run()
	if again, _ := os.ReadFile(filepath.Join(dir2, "SHA256SUMS")); !bytes.Equal(again, sums) {
		t.Errorf("second build differs:\n%s\nfirst:\n%s", again, sums)
	}
}
