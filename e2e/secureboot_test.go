//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/authenticode"
	"github.com/plinth-os/plinth/internal/sbkeys"
	"github.com/plinth-os/plinth/internal/vfat"
)

// signedISO is one signed build shared by the Secure Boot tests: a key
// set made with mkiso -new-secureboot-keys and the installer built with
// it (answers come from a PLINTHCFG volume per test).
var signedISO struct {
	once            sync.Once
	keys, dir, err  string
	iso, runtimeEFI string
}

func buildSigned(t *testing.T) (keys, iso, runtimeEFI string) {
	t.Helper()
	signedISO.once.Do(func() {
		dir, err := filepath.Abs(filepath.Join(*artifacts, "secureboot-build"))
		if err != nil {
			signedISO.err = err.Error()
			return
		}
		os.RemoveAll(dir)
		keys := filepath.Join(dir, "keys")
		for _, args := range [][]string{
			{"-new-secureboot-keys", keys},
			{"-o", filepath.Join(dir, "out", "plinth-installer.iso"), "-secureboot-keys", keys},
		} {
			cmd := exec.Command("go", append([]string{"run", "./cmds/mkiso"}, args...)...)
			cmd.Dir = ".."
			if out, err := cmd.CombinedOutput(); err != nil {
				signedISO.err = err.Error() + "\n" + string(out)
				return
			}
		}
		signedISO.keys, signedISO.dir = keys, dir
		signedISO.iso = filepath.Join(dir, "out", "plinth-installer.iso")
		signedISO.runtimeEFI = filepath.Join(dir, "out", "plinth-runtime.efi")
	})
	if signedISO.err != "" {
		t.Fatalf("signed build: %s", signedISO.err)
	}
	return signedISO.keys, signedISO.iso, signedISO.runtimeEFI
}

// installSecureBoot installs the signed ISO unattended onto a blank NVMe
// disk under the Secure Boot firmware, starting from template VARS, with
// answers from a PLINTHCFG stick; it returns the disk and the VARS.
func installSecureBoot(t *testing.T, dir, template, answersYAML string) (disk, vars string) {
	t.Helper()
	_, iso, _ := buildSigned(t)
	disk = sparseFile(t, filepath.Join(dir, "nvme.img"), 8<<30)
	cfg := fatVolume(t, dir, "PLINTHCFG", map[string][]byte{"install.yaml": []byte(answersYAML)})
	mdir := filepath.Join(dir, "install")
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(t, qemu.Config{Dir: mdir, SecureBoot: true, VarsTemplate: template, NoReboot: true, Drives: []qemu.Drive{
		{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.NVMe, File: disk, Serial: "SBNVME01"},
		{Kind: qemu.USB, File: cfg, Serial: "PLINTHCFG1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitEventUnlessError(t, m, "installed", 10*time.Minute)
	waitExit(t, m, 2*time.Minute)
	return disk, m.Vars
}

// bootSecure boots disk under the Secure Boot firmware with vars and
// returns runtime-ready.
func bootSecure(t *testing.T, dir, name, vars, disk string) (*qemu.Machine, map[string]any) {
	t.Helper()
	mdir := filepath.Join(dir, name)
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(t, qemu.Config{Dir: mdir, SecureBoot: true, Vars: vars, QMP: true, HostForwards: map[int]int{freePort(t): 80},
		Drives: []qemu.Drive{{Kind: qemu.NVMe, File: disk, Serial: "SBNVME01"}}})
	if err != nil {
		t.Fatal(err)
	}
	return m, waitEventUnlessError(t, m, "runtime-ready", *bootLimit)
}

// TestSecureBootSetupMode is the whole story on a machine in Setup Mode:
// the installer enrolls db, KEK and PK (with Microsoft's CAs), the
// installed disk boots with Secure Boot on and lockdown active, and the
// firmware then refuses a tampered and an unsigned UKI.
func TestSecureBootSetupMode(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	keys, _, runtimeEFI := buildSigned(t)
	disk, vars := installSecureBoot(t, dir, qemu.OVMFVars, "disk: largest\nwipe: true\nafter: poweroff\nsecure-boot: enroll-if-setup-mode\n")
	m, ready := bootSecure(t, dir, "boot", vars, disk)
	if ready["secureBoot"] != true || ready["setupMode"] != false || !strings.Contains(ready["lockdown"].(string), "integrity") {
		t.Errorf("runtime-ready: secureBoot %v setupMode %v lockdown %v; want true, false, integrity", ready["secureBoot"], ready["setupMode"], ready["lockdown"])
	}
	powerOff(t, m)

	set, err := sbkeys.Load(keys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	store := must(os.ReadFile(vars))
	for name, der := range map[string][]byte{"our PK": set.PK.CertDER, "our KEK": set.KEK.CertDER, "our db": set.DB.CertDER} {
		if !bytes.Contains(store, der) {
			t.Errorf("the firmware's variables lack %s certificate", name)
		}
	}
	for _, c := range append(sbkeys.MicrosoftKEK(), sbkeys.MicrosoftDB()...) {
		if !bytes.Contains(store, c.Raw) {
			t.Errorf("the firmware's variables lack Microsoft's %s", c.Subject.CommonName)
		}
	}
	refused(t, dir, vars, "tampered", tamperInitrd(t, must(os.ReadFile(runtimeEFI))))
	unsigned, err := authenticode.Unsign(must(os.ReadFile(runtimeEFI)))
	if err != nil {
		t.Fatal(err)
	}
	refused(t, dir, vars, "unsigned", unsigned)
}

// TestSecureBootWithoutMicrosoft: microsoft-keys: false enrolls our keys
// alone.
func TestSecureBootWithoutMicrosoft(t *testing.T) {
	t.Parallel()
	dir := machineDir(t)
	keys, _, _ := buildSigned(t)
	_, vars := installSecureBoot(t, dir, qemu.OVMFVars, "disk: largest\nwipe: true\nafter: poweroff\nsecure-boot: enroll-if-setup-mode\nmicrosoft-keys: false\n")
	set, err := sbkeys.Load(keys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	store := must(os.ReadFile(vars))
	if !bytes.Contains(store, set.DB.CertDER) {
		t.Error("our db certificate is not enrolled")
	}
	for _, c := range append(sbkeys.MicrosoftKEK(), sbkeys.MicrosoftDB()...) {
		if bytes.Contains(store, c.Raw) {
			t.Errorf("Microsoft's %s is enrolled though microsoft-keys: false", c.Subject.CommonName)
		}
	}
}

// tamperInitrd changes one byte in the UKI's .initrd section.
func tamperInitrd(t *testing.T, efi []byte) []byte {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(efi))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(".initrd")
	if s == nil {
		t.Fatal("no .initrd section")
	}
	out := append([]byte(nil), efi...)
	out[s.Offset+s.Size/2] ^= 0x01
	return out
}

// refused boots efi as the removable-media loader of a FAT disk on the
// enrolled firmware: OVMF must refuse it and nothing of ours may run.
func refused(t *testing.T, dir, vars, name string, efi []byte) {
	t.Helper()
	mdir := filepath.Join(dir, name)
	os.MkdirAll(mdir, 0o755)
	img := fatVolume(t, mdir, "BOOT", map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi})
	refusedBoot(t, dir, name, vars, qemu.Drive{Kind: qemu.Virtio, File: img, BootIndex: 1})
}

// refusedBoot boots drive alone on the Secure Boot firmware with a copy
// of vars (it stays as it is): OVMF must say Access Denied and nothing of ours may run.
func refusedBoot(t *testing.T, dir, name, vars string, drive qemu.Drive) {
	t.Helper()
	mdir := filepath.Join(dir, name)
	os.MkdirAll(mdir, 0o755)
	m, err := startMachine(t, qemu.Config{Dir: mdir, SecureBoot: true, VarsTemplate: vars, Drives: []qemu.Drive{drive}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := m.WaitOutput(ctx, "Access Denied", 0); err != nil {
		t.Errorf("%s: OVMF did not say Access Denied: %v\n%s", name, err, m.Tail(20))
	}
	if len(m.Events()) > 0 {
		t.Errorf("%s ran: events %v", name, m.Events())
	}
}

// fatVolume writes a FAT filesystem labelled label holding files, just
// large enough, to a new image in dir.
func fatVolume(t *testing.T, dir, label string, files map[string][]byte) string {
	t.Helper()
	tree := treeFS(files)
	opts := vfat.Options{Label: label, Source: tree}
	size, err := vfat.MinSize(tree, opts)
	if err != nil {
		t.Fatal(err)
	}
	size = max(size, 34<<20) // FAT32 and room for firmware that probes the end
	path := filepath.Join(dir, strings.ToLower(label)+".img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := vfat.Format(f, 0, size, opts); err != nil {
		t.Fatal(err)
	}
	return path
}
