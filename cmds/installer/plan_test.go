package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// planSystem is a fake machine: vda a blank 9 GiB disk, vdb a 10 GiB
// disk holding a partition, and a payload manifest.
func planSystem(t *testing.T, extra ...partfindtest.Disk) (roots, partfindtest.System) {
	t.Helper()
	disks := append([]partfindtest.Disk{
		{Name: "vda", SizeMiB: 9 << 10},
		{Name: "vdb", SizeMiB: 10 << 10, Parts: []partfindtest.Part{{TypeCode: "8300", SizeMiB: 100}}},
	}, extra...)
	sys := partfindtest.Build(t, disks...)
	dir := t.TempDir()
	m := filepath.Join(dir, "manifest.json")
	os.WriteFile(m, []byte(`{"product":"Plinth","version":"1.2.3","runtimeUKISHA256":"0000000000000000000000000000000000000000000000000000000000000000","runtimeUKISize":6000000}`), 0o644)
	return roots{Sys: sys.Sys, Dev: sys.Dev, Proc: filepath.Join(dir, "proc"), Answers: filepath.Join(dir, "none.yaml"),
		Manifest: m, RuntimeUKI: filepath.Join(dir, "runtime.efi"), Product: filepath.Join(dir, "product.json"),
		SecureBootKeys: filepath.Join(dir, "secureboot")}, sys
}

func writeAnswers(t *testing.T, yaml string) string {
	p := filepath.Join(t.TempDir(), "install.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanWritesNothing(t *testing.T) {
	r, sys := planSystem(t)
	before := map[string]string{}
	for _, d := range []string{"vda", "vdb"} {
		before[d] = fingerprint(t, sys.Device(d))
	}
	tests := []struct {
		name     string
		args     []string
		status   int
		wantDisk string // in the plan
		wantErr  string // on stderr
	}{
		{"default largest refuses the disk with data", []string{"--plan"}, 1, "", "disk-has-data"},
		{"wipe true plans the largest", []string{"--plan", "--answers", writeAnswers(t, "disk: largest\nwipe: true\n")}, 0, "vdb", ""},
		{"smallest is the blank disk", []string{"--plan", "--answers", writeAnswers(t, "disk: smallest\ndata-size: 2GiB\nhostname: db-01\n")}, 0, "vda", ""},
		{"malformed answers name line and field", []string{"--plan", "--answers", writeAnswers(t, "disk: largest\nwipe: yes\n")}, 1, "", `install.yaml:2: field "wipe"`},
		{"data size too big", []string{"--plan", "--answers", writeAnswers(t, "disk: smallest\ndata-size: 20GiB\n")}, 1, "", "data-size-invalid"},
		{"no flag is a usage error", []string{"--answers", "x"}, 2, "", "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			status := planMain(tt.args, r, &out, &errb)
			if status != tt.status {
				t.Fatalf("status %d, want %d; stderr %s", status, tt.status, errb.String())
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr %q, want %q", errb.String(), tt.wantErr)
			}
			if tt.wantDisk == "" {
				if out.Len() != 0 {
					t.Errorf("stdout %q on failure", out.String())
				}
				return
			}
			var p installplan.Plan
			if err := json.Unmarshal(out.Bytes(), &p); err != nil {
				t.Fatalf("plan is not JSON: %v\n%s", err, out.String())
			}
			if p.Disk.Name != tt.wantDisk || p.Product != "Plinth" || p.Version != "1.2.3" || len(p.Partitions) != 2 {
				t.Errorf("plan %+v", p)
			}
		})
	}
	for d, fp := range before {
		if got := fingerprint(t, sys.Device(d)); got != fp {
			t.Errorf("--plan changed %s: %s, was %s", d, got, fp)
		}
	}
}

// fingerprint identifies a disk image's state without reading all of
// it: any write changes the modification time, and the hashed head and
// tail hold what an install writes first (the GPTs).
func fingerprint(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	io.Copy(h, io.NewSectionReader(f, 0, 2<<20))
	io.Copy(h, io.NewSectionReader(f, fi.Size()-1<<20, 1<<20))
	return fmt.Sprintf("%d %s %x", fi.Size(), fi.ModTime(), h.Sum(nil))
}

// An answers volume labelled PLINTHCFG is read, and its own disk is
// never a candidate.
func TestPlanFromPLINTHCFG(t *testing.T) {
	r, sys := planSystem(t, partfindtest.Disk{Name: "sdc", SizeMiB: 64})
	img := sys.Device("sdc")
	testdisk.Run(t, testdisk.Tool(t, "mkfs.fat"), "-n", "PLINTHCFG", img)
	yaml := writeAnswers(t, "disk: smallest\nhostname: from-stick\n")
	testdisk.Run(t, testdisk.Tool(t, "mcopy"), "-i", img, yaml, "::install.yaml")
	var out, errb bytes.Buffer
	if status := planMain([]string{"--plan"}, r, &out, &errb); status != 0 {
		t.Fatalf("status %d: %s", status, errb.String())
	}
	var p installplan.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Disk.Name != "vda" || p.Config.Hostname != "from-stick" {
		t.Errorf("plan disk %s hostname %q, want vda and the stick's hostname", p.Disk.Name, p.Config.Hostname)
	}
}
