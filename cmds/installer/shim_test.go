package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/vfat"
)

// An installer that carries shim installs the shim chain: shim and
// MokManager beside the runtime UKI and in the fallback directory (with
// the UKI as shim's default second stage there), and a boot entry that
// starts shim and names the UKI as its second stage.
func TestInstallShimChain(t *testing.T) {
	r, sys := planSystem(t)
	uki := writePayload(t, r)
	shim, mm := bytes.Repeat([]byte("shim "), 9000), bytes.Repeat([]byte("MokManager "), 7000)
	writeShim(t, &r, shim, mm)
	_, payload, err := readPayload(r)
	if err != nil || !bytes.Equal(payload.Shim, shim) || !bytes.Equal(payload.MokManager, mm) {
		t.Fatalf("payload: %v", err)
	}
	ans, _ := answers.Parse([]byte("disk: smallest\n"))
	vars := efivar.NewMemStore()
	env := install.Env{SysRoot: r.Sys, DevRoot: r.Dev, ProcRoot: r.Proc, Vars: vars, Req: installplan.DefaultRequirements(), Log: t.Logf}
	req := payload
	req.Answers = ans
	res, err := install.Run(context.Background(), env, req)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	f, err := os.Open(sys.Device(res.Plan.Disk.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkESP(t, f, res.Plan)
	esp, _ := res.Plan.ESP()
	fsys, err := vfat.Open(f, int64(esp.FirstLBA)*512, int64(esp.Sectors())*512)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{
		"EFI/plinth/slot-a.efi": uki, "EFI/plinth/shimx64.efi": shim, "EFI/plinth/mmx64.efi": mm,
		"EFI/BOOT/BOOTX64.EFI": shim, "EFI/BOOT/grubx64.efi": uki, "EFI/BOOT/mmx64.efi": mm,
	} {
		if got, err := fsys.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s on the ESP: %v, %d bytes; want %d", path, err, len(got), len(want))
		}
	}
	opt, err := efivar.ReadBootEntry(vars, res.BootEntry)
	if err != nil {
		t.Fatal(err)
	}
	if lp, second := opt.Path().LoaderPath(), efivar.DecodeUCS2(opt.OptionalData); lp != `\EFI\plinth\shimx64.efi` || second != `\EFI\plinth\slot-a.efi` {
		t.Errorf("boot entry starts %s with %q; want shim with the UKI", lp, second)
	}
}

// A damaged shim on the medium is found before any disk is touched.
func TestInstallRefusesDamagedShim(t *testing.T) {
	r, sys := planSystem(t)
	writePayload(t, r)
	writeShim(t, &r, []byte("shim"), []byte("mm"))
	os.WriteFile(r.Shim, []byte("shiM"), 0o644)
	before := fingerprint(t, sys.Device("vda"))
	_, payload, err := readPayload(r)
	if err != nil {
		t.Fatal(err)
	}
	req := payload
	req.Answers, _ = answers.Parse([]byte("disk: smallest\n"))
	env := install.Env{SysRoot: r.Sys, DevRoot: r.Dev, ProcRoot: r.Proc, Vars: efivar.NewMemStore(), Req: installplan.DefaultRequirements(), Log: t.Logf}
	if _, err := install.Run(context.Background(), env, req); err == nil || install.Code(err) != "payload-corrupt" {
		t.Errorf("damaged shim: %v (code %s), want payload-corrupt", err, install.Code(err))
	}
	if fingerprint(t, sys.Device("vda")) != before {
		t.Error("the disk changed")
	}
}

// writeShim puts shim and MokManager beside r's payload and names them in
// its manifest.
func writeShim(t *testing.T, r *roots, shim, mm []byte) {
	t.Helper()
	dir := filepath.Dir(r.Manifest)
	r.Shim, r.MokManager = filepath.Join(dir, "shimx64.efi"), filepath.Join(dir, "mmx64.efi")
	var m install.Manifest
	b, err := os.ReadFile(r.Manifest)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Shim, m.MokManager = installplan.DigestOf(shim), installplan.DigestOf(mm)
	b, _ = json.Marshal(m)
	for path, data := range map[string][]byte{r.Manifest: b, r.Shim: shim, r.MokManager: mm} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
