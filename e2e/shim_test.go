//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
)

// shimISO is the signed build with -shim, made with the same keys as
// buildSigned, its answers embedded: MokManager's file browser must see
// the ISO's boot image as the only FAT volume, so there is no PLINTHCFG
// stick. secure-boot: require proves the installer sees shim's MOK list.
var shimISO struct {
	once     sync.Once
	iso, err string
}

const shimAnswers = "disk: largest\nwipe: true\nafter: poweroff\nsecure-boot: require\n"

func buildShim(t *testing.T) string {
	t.Helper()
	keys, _, _ := buildSigned(t)
	shimISO.once.Do(func() {
		dir := filepath.Join(signedISO.dir, "shim")
		answers := filepath.Join(signedISO.dir, "shim-install.yaml")
		if err := os.WriteFile(answers, []byte(shimAnswers), 0o644); err != nil {
			shimISO.err = err.Error()
			return
		}
		iso := filepath.Join(dir, "plinth-installer.iso")
		cmd := exec.Command("go", "run", "./cmds/mkiso", "-o", iso, "-secureboot-keys", keys, "-shim", "-answers", answers)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			shimISO.err = err.Error() + "\n" + string(out)
			return
		}
		shimISO.iso = iso
	})
	if shimISO.err != "" {
		t.Fatalf("shim build: %s", shimISO.err)
	}
	return shimISO.iso
}

// TestSecureBootShim is a machine whose firmware trusts only Microsoft
// (OVMF_VARS_4M.ms.fd: Microsoft's KEK and db, Secure Boot on): our
// signed ISO without shim is refused; the -shim ISO lands in MokManager,
// where the test enrolls our certificate from the ISO with key presses
// on the serial console; the installer then starts, installs through
// shim, and the installed disk boots through shim to runtime-ready with
// Secure Boot on.
func TestSecureBootShim(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	_, plainISO, _ := buildSigned(t)
	iso := buildShim(t)

	refusedBoot(t, dir, "without-shim", qemu.OVMFVarsMicrosoft, qemu.Drive{Kind: qemu.CD, File: plainISO, ReadOnly: true, BootIndex: 1})

	disk := sparseFile(t, filepath.Join(dir, "nvme.img"), 8<<30)
	mdir := filepath.Join(dir, "install")
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(t, qemu.Config{Dir: mdir, SecureBoot: true, VarsTemplate: qemu.OVMFVarsMicrosoft, Drives: []qemu.Drive{
		{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.NVMe, File: disk, Serial: "SBNVME01"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	enrollWithMokManager(t, m, certIndex(t, iso))
	waitEventUnlessError(t, m, "installed", 10*time.Minute)
	waitExit(t, m, 2*time.Minute)

	booted, ready := bootSecure(t, dir, "boot", m.Vars, disk)
	if ready["secureBoot"] != true || ready["setupMode"] != false || !strings.Contains(ready["lockdown"].(string), "integrity") {
		t.Errorf("runtime-ready: secureBoot %v setupMode %v lockdown %v; want true, false, integrity", ready["secureBoot"], ready["setupMode"], ready["lockdown"])
	}
	powerOff(t, booted)
}

// mokKeys is what an operator types in MokManager to enroll our key
// from the media, each after the screen that asks for it.
type mokKey struct {
	screen string // text on the screen before the keys are pressed
	keys   string
}

// Serial console keys: OVMF's terminal reads VT100 cursor keys.
const (
	keyDown  = "\x1b[B"
	keyEnter = "\r"
)

// enrollWithMokManager answers shim's and MokManager's screens: OK on
// shim's verification failure; any key to enter
// MOK management; "Enroll key from disk"; the first (only) FAT volume;
// the certificate, the idx'th entry of the root directory; "Continue"
// past the key list; "Yes" to enroll; "Reboot".
func enrollWithMokManager(t *testing.T, m *qemu.Machine, idx int) {
	t.Helper()
	steps := []mokKey{
		{"Security Violation", keyEnter}, // shim's alert: our key is not trusted yet
		{"Press any key to perform MOK management", keyEnter},
		{"Enroll key from disk", keyDown + keyEnter},
		{"Select Key", keyEnter},
		{"enroll-plinth-key.cer", strings.Repeat(keyDown, idx) + keyEnter},
		{"View key 0", keyDown + keyEnter},
		{"Enroll the key(s)?", keyDown + keyEnter},
		{"Reboot", keyEnter},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	at := 0
	for _, s := range steps {
		next, err := m.WaitOutput(ctx, s.screen, at)
		if err != nil {
			t.Fatalf("MokManager: %v\n%s", err, m.Tail(30))
		}
		time.Sleep(500 * time.Millisecond) // let the menu finish drawing before it reads keys
		for _, k := range splitKeys(s.keys) {
			if err := m.SendKeys(k); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
		}
		at = next
	}
}

// splitKeys splits a key sequence into single key presses, so that an
// escape sequence arrives whole and apart from the next key.
func splitKeys(s string) []string {
	var out []string
	for s != "" {
		n := 1
		if strings.HasPrefix(s, "\x1b[") {
			n = 3
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// certIndex is the position of our certificate among the root entries
// of the ISO's FAT boot image, as mdir lists them (directory order, the
// order MokManager's file browser shows).
func certIndex(t *testing.T, iso string) int {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("xorriso", "-osirrox", "on", "-indev", iso, "-extract_boot_images", dir).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	imgs, _ := filepath.Glob(filepath.Join(dir, "*uefi*"))
	if len(imgs) != 1 {
		t.Fatalf("boot images %v", imgs)
	}
	cmd := exec.Command("mdir", "-b", "-i", imgs[0], "::/")
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mdir: %v", err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasSuffix(strings.TrimSpace(line), "enroll-plinth-key.cer") {
			return i
		}
	}
	t.Fatalf("no certificate in the boot image's root:\n%s", out)
	return 0
}
