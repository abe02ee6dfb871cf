package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/gpt/gpttest"
	"github.com/plinth-os/plinth/internal/guid"
)

const espUUID = "6a1f0c3e-5b7d-4e2a-9c11-0123456789ab"

// machine is a temp-dir efivarfs holding what OVMF sets up: UiApp, a
// DVD-ROM entry (booted), BootOrder and Timeout.
type machine struct {
	t     *testing.T
	dir   string
	store efivar.Store
}

func newMachine(t *testing.T) *machine {
	dir := t.TempDir()
	s := efivar.NewEfivarfs(dir)
	mixed := func(s string) []byte { m := guid.MustParse(s).Mixed(); return m[:] }
	entries := []*efivar.LoadOption{
		{Attributes: efivar.LoadOptionActive | efivar.LoadOptionCategoryApp, Description: "UiApp", FilePaths: []efivar.DevicePath{{
			efivar.RawNode{NodeType: efivar.TypeMedia, NodeSubType: 0x07, Data: mixed("7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1")},
			efivar.RawNode{NodeType: efivar.TypeMedia, NodeSubType: 0x06, Data: mixed("462caa21-7614-4503-836e-8ab6f4662331")},
		}}},
		{Attributes: efivar.LoadOptionActive, Description: "UEFI QEMU DVD-ROM QM00003 ", FilePaths: []efivar.DevicePath{{
			efivar.RawNode{NodeType: efivar.TypeACPI, NodeSubType: 0x01, Data: []byte{0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0}},
			efivar.RawNode{NodeType: efivar.TypeHardware, NodeSubType: 0x01, Data: []byte{0x01, 0x01}},
			efivar.RawNode{NodeType: efivar.TypeMessaging, NodeSubType: 0x01, Data: []byte{1, 0, 0, 0}},
		}}, OptionalData: []byte("N\x00\x00\x00\x00\x00YM")},
	}
	for i, o := range entries {
		if err := efivar.WriteBootEntry(s, uint16(i), o); err != nil {
			t.Fatal(err)
		}
	}
	must(t, efivar.WriteBootOrder(s, []uint16{1, 0}))
	must(t, efivar.SetTimeout(s, 0))
	must(t, s.Set("BootCurrent", efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, []byte{1, 0}))
	return &machine{t: t, dir: dir, store: s}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// run runs efibootmgr with args and returns its output and error.
func (m *machine) run(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(args, env{stdout: &out, openStore: func() (efivar.Store, error) { return m.store, nil }})
	return out.String(), err
}

// ok runs efibootmgr and fails the test on error.
func (m *machine) ok(args ...string) string {
	m.t.Helper()
	out, err := m.run(args...)
	if err != nil {
		m.t.Fatalf("efibootmgr %q: %v", args, err)
	}
	return out
}

func TestCommand(t *testing.T) {
	img := gpttest.SgdiskESPImage(t, espUUID)
	m := newMachine(t)

	const (
		uiApp   = "Boot0000* UiApp\tFvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)\n"
		dvd     = "Boot0001* UEFI QEMU DVD-ROM QM00003 \tPciRoot(0x0)/Pci(0x1,0x1)/Ata(1,0,0)N.....YM\n"
		plinthV = "Boot0002* Plinth\tHD(1,GPT," + espUUID + ",0x800,0x10000)/File(\\EFI\\plinth\\plinth.efi)\n"
	)
	if got, want := m.ok(), "BootCurrent: 0001\nTimeout: 0 seconds\nBootOrder: 0001,0000\nBoot0000* UiApp\nBoot0001* UEFI QEMU DVD-ROM QM00003 \n"; got != want {
		t.Errorf("listing:\n%s\nwant:\n%s", got, want)
	}

	create := []string{"-c", "-d", img, "-p", "1", "-l", "/EFI/plinth/plinth.efi", "-L", "Plinth"}
	got := m.ok(create...)
	if want := "BootCurrent: 0001\nTimeout: 0 seconds\nBootOrder: 0002,0001,0000\nBoot0000* UiApp\nBoot0001* UEFI QEMU DVD-ROM QM00003 \nBoot0002* Plinth\n"; got != want {
		t.Errorf("after -c:\n%s\nwant:\n%s", got, want)
	}
	// Same label and loader again (backslashes this time): replaced, not
	// duplicated, still first.
	m.ok("-c", "-d", img, "-p", "1", "-l", `\EFI\plinth\plinth.efi`, "-L", "Plinth", "-q")
	want := "BootCurrent: 0001\nTimeout: 0 seconds\nBootOrder: 0002,0001,0000\n" + uiApp + dvd + plinthV
	if got := m.ok("-v"); got != want {
		t.Errorf("-v after second -c:\n%s\nwant:\n%s", got, want)
	}

	// The variable file is attributes NV|BS|RT then the load option.
	raw, err := os.ReadFile(filepath.Join(m.dir, "Boot0002-8be4df61-93ca-11d2-aa0d-00e098032b8c"))
	must(t, err)
	if !bytes.HasPrefix(raw, []byte{7, 0, 0, 0, 1, 0, 0, 0}) {
		t.Errorf("Boot0002 starts % x", raw[:8])
	}

	if got := m.ok("-q", "-n", "0002"); got != "" {
		t.Errorf("-q printed %q", got)
	}
	if got := m.ok(); !strings.HasPrefix(got, "BootNext: 0002\nBootCurrent: 0001\n") {
		t.Errorf("after -n:\n%s", got)
	}
	if got := m.ok("-N"); strings.Contains(got, "BootNext") {
		t.Errorf("after -N:\n%s", got)
	}
	if got := m.ok("-o", "0000,0002"); !strings.Contains(got, "BootOrder: 0000,0002\n") {
		t.Errorf("after -o:\n%s", got)
	}
	if got := m.ok("-b", "0001", "-A", "-t", "3"); !strings.Contains(got, "Boot0001  UEFI QEMU") || !strings.Contains(got, "Timeout: 3 seconds") {
		t.Errorf("after -A -t:\n%s", got)
	}
	got = m.ok("-b", "0002", "-B")
	if want := "BootCurrent: 0001\nTimeout: 3 seconds\nBootOrder: 0000\nBoot0000* UiApp\nBoot0001  UEFI QEMU DVD-ROM QM00003 \n"; got != want {
		t.Errorf("after -b 0002 -B:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(m.dir, "Boot0002-8be4df61-93ca-11d2-aa0d-00e098032b8c")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Boot0002 file still there: %v", err)
	}
	if got := m.ok("-O", "-T"); !strings.Contains(got, "No BootOrder is set") || strings.Contains(got, "Timeout") {
		t.Errorf("after -O -T:\n%s", got)
	}
	// -c with -b uses that number.
	if got := m.ok("-c", "-b", "0010", "-d", img, "-l", "/EFI/BOOT/BOOTX64.EFI", "-L", "Fallback"); !strings.Contains(got, "BootOrder: 0010\n") || !strings.Contains(got, "Boot0010* Fallback\n") {
		t.Errorf("after -c -b 0010:\n%s", got)
	}
}

func TestCommandErrors(t *testing.T) {
	img := gpttest.SgdiskESPImage(t, espUUID)
	m := newMachine(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-c", "-d", img, "-p", "3", "-l", "/EFI/x.efi", "-L", "X"}, "partition 3 not found"},
		{[]string{"-c", "-d", img + ".missing", "-l", "/EFI/x.efi", "-L", "X"}, "no such file or directory"},
		{[]string{"-c", "-d", img, "-l", "EFI/x.efi", "-L", "X"}, "must be absolute"},
		{[]string{"-c", "-d", img, "-l", "/EFI/x.efi", "-L", ""}, "label is empty"},
		{[]string{"-c", "-d", img, "-l", "/EFI/x.efi", "-L", "X", "-b", "0001"}, "Boot0001: it already exists"},
		{[]string{"-b", "0007", "-B"}, "cannot delete Boot0007: it does not exist"},
		{[]string{"-b", "0007", "-a"}, "Boot0007 does not exist"},
		{[]string{"-o", "0001,0007"}, "cannot set BootOrder: Boot0007 does not exist"},
		{[]string{"-n", "0007"}, "cannot set BootNext: Boot0007 does not exist"},
		{[]string{"-B"}, "-B needs -b"},
		{[]string{"-z"}, "unknown option -z (see efibootmgr -h)"},
	}
	for _, tt := range tests {
		out, err := m.run(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.want)
		}
		if out != "" {
			t.Errorf("%q: printed %q on error", tt.args, out)
		}
	}
	// Nothing above changed the machine.
	if got, want := m.ok(), "BootCurrent: 0001\nTimeout: 0 seconds\nBootOrder: 0001,0000\nBoot0000* UiApp\nBoot0001* UEFI QEMU DVD-ROM QM00003 \n"; got != want {
		t.Errorf("listing after errors:\n%s", got)
	}
}

func TestCommandNoEfivarfs(t *testing.T) {
	openErr := errors.New("efivar: efivarfs is not mounted on /sys/firmware/efi/efivars: run mount -t efivarfs efivarfs /sys/firmware/efi/efivars")
	err := run(nil, env{stdout: &bytes.Buffer{}, openStore: func() (efivar.Store, error) { return nil, openErr }})
	if !errors.Is(err, openErr) {
		t.Errorf("err = %v", err)
	}
	// -h and bad arguments do not need efivarfs.
	var out bytes.Buffer
	if err := run([]string{"-h"}, env{stdout: &out, openStore: func() (efivar.Store, error) { return nil, openErr }}); err != nil || !strings.Contains(out.String(), "--bootnum XXXX") {
		t.Errorf("-h: %v\n%s", err, out.String())
	}
}
