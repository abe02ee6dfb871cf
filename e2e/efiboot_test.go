//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/vfat"
)

// TestEfibootmgrEntryBoots creates a boot entry with our efibootmgr from
// inside a booted image, for a UKI on a second disk's ESP that has no
// \EFI\BOOT\BOOTX64.EFI, then boots that disk alone with the same OVMF
// variables: the firmware must load our entry and the UKI must come up.
func TestEfibootmgrEntryBoots(t *testing.T) {
	installerUKI, err := os.ReadFile(needFile(t, filepath.Join(filepath.Dir(*isoPath), "plinth-installer.efi"), "build it with make iso"))
	if err != nil {
		t.Fatal(err)
	}
	dir := machineDir(t)

	// Disk B: GPT with one ESP holding the installer UKI at a vendor path only.
	diskB := filepath.Join(dir, "disk-b.img")
	f, err := os.Create(diskB)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(128 << 20)
	f.Close()
	run(t, "sgdisk", "-o", "-n", "1:2048:+100M", "-t", "1:EF00", "-c", "1:ESP", "-u", "1:6B1DA3E8-5A6B-4A35-9C1D-6D3B3C0B7E10", diskB)
	f, _ = os.OpenFile(diskB, os.O_RDWR, 0)
	err = vfat.Format(f, 2048*512, 100<<20, vfat.Options{Label: "ESP", HiddenSectors: 2048, Source: treeFS(map[string][]byte{"EFI/plinth/plinth.efi": installerUKI})})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}

	label := "Plinth e2e"
	runner := testUKI(t, [][]string{
		{"/bbin/efibootmgr", "-c", "-d", "/dev/vdb", "-p", "1", "-l", "/EFI/plinth/plinth.efi", "-L", label},
		{"/bbin/efibootmgr", "-c", "-d", "/dev/vdb", "-p", "1", "-l", "/EFI/plinth/plinth.efi", "-L", label}, // again: must not duplicate
		{"/bbin/efibootmgr", "-v"},
	}, "poweroff")
	diskA := fatImage(t, dir, "disk-a.img", 64<<20, map[string][]byte{"EFI/BOOT/BOOTX64.EFI": runner})

	m, err := startMachine(t, qemu.Config{Dir: dir, NoReboot: true, Drives: []qemu.Drive{
		{Kind: qemu.Virtio, File: diskA, BootIndex: 1},
		{Kind: qemu.Virtio, File: diskB},
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, m, "e2e-done", *bootLimit)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var listing string
	for _, ev := range m.Events() {
		if ev["event"] != "e2e-step" {
			continue
		}
		if ev["exit"].(float64) != 0 {
			t.Fatalf("step %v failed: %v", ev["argv"], ev["output"])
		}
		listing = ev["output"].(string)
	}
	t.Logf("efibootmgr -v inside the VM:\n%s", listing)
	entry := regexp.MustCompile(`Boot([0-9A-F]{4})\* ` + label + `\s+HD\(1,GPT,6b1da3e8-5a6b-4a35-9c1d-6d3b3c0b7e10,0x800,0x32000\)/File\(\\EFI\\plinth\\plinth.efi\)`).FindStringSubmatch(listing)
	if entry == nil {
		t.Fatalf("no entry for disk B in efibootmgr -v")
	}
	if n := strings.Count(listing, label); n != 1 {
		t.Errorf("%d entries labelled %q after creating it twice, want 1", n, label)
	}
	if !regexp.MustCompile(`BootOrder: ` + entry[1]).MatchString(listing) {
		t.Errorf("Boot%s is not first in BootOrder", entry[1])
	}

	// Second boot: only disk B, no bootindex, same VARS.
	dir2 := filepath.Join(dir, "reboot")
	os.MkdirAll(dir2, 0o755)
	m2, err := startMachine(t, qemu.Config{Dir: dir2, Vars: m.Vars, NoReboot: true, Drives: []qemu.Drive{{Kind: qemu.Virtio, File: diskB}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Stop()
	waitEvent(t, m2, "ready", *bootLimit)
	serial, _ := os.ReadFile(m2.LogPath)
	if !strings.Contains(string(serial), `BdsDxe: loading Boot`+entry[1]+` "`+label+`"`) {
		t.Errorf("firmware did not boot through Boot%s:\n%s", entry[1], m2.Tail(30))
	}
}
