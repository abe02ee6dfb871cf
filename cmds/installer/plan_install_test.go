package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/vfat"
)

// The plan "installer --plan" prints is, for the same seed, the plan an
// install announces in its "plan" event, and it is what the install
// leaves on the disk: the GPT, the files on the ESP and the boot entry.
func TestPlanIsWhatInstallRuns(t *testing.T) {
	r, sys := planSystem(t)
	uki := writePayload(t, r)
	port := setting.IntValue(2379)
	decls := []setting.Decl{{Name: "port", Type: setting.TypeInt, Default: &port}, {Name: "peers", Type: setting.TypeList}}
	writeProduct(t, r, decls)
	const yaml = "disk: smallest\ndata-size: 2GiB\nhostname: db-01\nnetwork:\n  mode: static\n  address: 192.0.2.10/24\n  gateway: 192.0.2.1\n" +
		"settings:\n  peers: [db-2:2380]\n"
	var out, errb bytes.Buffer
	if status := planMain([]string{"--plan", "--answers", writeAnswers(t, yaml)}, r, &out, &errb); status != 0 {
		t.Fatalf("--plan: status %d: %s", status, errb.String())
	}
	printed := bytes.TrimSpace(out.Bytes())

	ans, err := answers.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	m, payload, err := readPayload(r)
	if err != nil || !bytes.Equal(payload.UKI, uki) {
		t.Fatalf("payload: %v", err)
	}
	var events bytes.Buffer
	vars := efivar.NewMemStore()
	env := install.Env{SysRoot: r.Sys, DevRoot: r.Dev, ProcRoot: r.Proc, Vars: vars, Events: event.New(&events),
		Req: installplan.DefaultRequirements(), Log: t.Logf} // no Seed: the fixed one --plan uses
	res, err := install.Run(context.Background(), env, install.Request{Answers: ans, Manifest: m, UKI: payload.UKI, SettingDecls: decls})
	if err != nil {
		t.Fatalf("install: %v (code %s)\nevents:\n%s", err, install.Code(err), events.String())
	}
	if announced := planEvent(t, events.String()); !bytes.Equal(announced, printed) {
		t.Fatalf("the plan event differs from --plan:\nevent: %s\nplan:  %s", announced, printed)
	}

	var p installplan.Plan
	if err := json.Unmarshal(printed, &p); err != nil {
		t.Fatal(err)
	}
	if p.Disk.Name != "vda" || res.Disk.Name != "vda" {
		t.Fatalf("planned %s, installed to %s: want the blank vda", p.Disk.Name, res.Disk.Name)
	}
	// checkESP compares plinth.json with the plan's digest of it, which
	// holds these.
	if want := map[string]setting.Value{"port": port, "peers": setting.ListValue("db-2:2380")}; !reflect.DeepEqual(res.Plan.Installed.Settings, want) ||
		!reflect.DeepEqual(p.Config.Settings, want) {
		t.Errorf("installed settings %v, planned %v, want %v", res.Plan.Installed.Settings, p.Config.Settings, want)
	}
	f, err := os.Open(sys.Device(p.Disk.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkTable(t, f, &p)
	checkESP(t, f, &p)
	esp, _ := p.ESP()
	ss := int64(p.Disk.SectorSize)
	fsys, err := vfat.Open(f, int64(esp.FirstLBA)*ss, int64(esp.Sectors())*ss)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fsys.ReadFile(appconfig.RelPath); err != nil || !strings.Contains(string(b), `"peers": [`) {
		t.Errorf("plinth.json on the ESP (%v) lacks the settings:\n%s", err, b)
	}
	opt, err := efivar.ReadBootEntry(vars, res.BootEntry)
	if err != nil {
		t.Fatal(err)
	}
	if got := opt.Path().String(); got != p.BootEntry.DevicePath.String() || opt.Description != p.BootEntry.Label {
		t.Errorf("boot entry %q %s, plan %q %s", opt.Description, got, p.BootEntry.Label, p.BootEntry.DevicePath)
	}
}

// writePayload gives the fake installer image a runtime UKI and a
// manifest that describes it, and returns the UKI.
func writePayload(t *testing.T, r roots) []byte {
	t.Helper()
	uki := bytes.Repeat([]byte("runtime UKI "), 50000)
	sum := sha256.Sum256(uki)
	m := install.Manifest{Product: "Plinth", Version: "1.2.3", RuntimeUKISHA256: hex.EncodeToString(sum[:]), RuntimeUKISize: int64(len(uki))}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.Manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.RuntimeUKI, uki, 0o644); err != nil {
		t.Fatal(err)
	}
	return uki
}

// planEvent returns the "plan" member of the one plan event in events.
func planEvent(t *testing.T, events string) []byte {
	t.Helper()
	eventtest.CheckOutput(t, events)
	var plans [][]byte
	sc := bufio.NewScanner(strings.NewReader(events))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		_, body, ok := strings.Cut(sc.Text(), event.Prefix)
		var ev struct {
			Event string          `json:"event"`
			Plan  json.RawMessage `json:"plan"`
		}
		if ok && json.Unmarshal([]byte(body), &ev) == nil && ev.Event == "plan" {
			plans = append(plans, ev.Plan)
		}
	}
	if len(plans) != 1 {
		t.Fatalf("%d plan events, want 1:\n%s", len(plans), events)
	}
	return plans[0]
}

// checkTable compares the GPT on the disk with the plan's.
func checkTable(t *testing.T, f *os.File, p *installplan.Plan) {
	t.Helper()
	tbl, err := gpt.Read(f, p.Disk.Size, p.Disk.SectorSize)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.DiskGUID != p.Disk.GUID || len(tbl.Partitions) != len(p.Partitions) {
		t.Fatalf("disk GUID %s with %d partitions, plan %s with %d", tbl.DiskGUID, len(tbl.Partitions), p.Disk.GUID, len(p.Partitions))
	}
	for i, want := range p.Partitions {
		if got := tbl.Partitions[i]; got != want.Partition {
			t.Errorf("partition %d on the disk %+v, plan %+v", want.Number, got, want.Partition)
		}
	}
}

// checkESP reads every file the plan lists back from the ESP.
func checkESP(t *testing.T, f *os.File, p *installplan.Plan) {
	t.Helper()
	esp, ok := p.ESP()
	if !ok {
		t.Fatal("the plan has no ESP")
	}
	ss := int64(p.Disk.SectorSize)
	fsys, err := vfat.Open(f, int64(esp.FirstLBA)*ss, int64(esp.Sectors())*ss)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range p.ESPFiles {
		b, err := fsys.ReadFile(file.Path)
		if err != nil {
			t.Errorf("%s: %v", file.Path, err)
			continue
		}
		if sum := sha256.Sum256(b); int64(len(b)) != file.Size || hex.EncodeToString(sum[:]) != file.SHA256 {
			t.Errorf("%s on the ESP: %d bytes, sha256 %x; plan %d bytes, %s", file.Path, len(b), sum, file.Size, file.SHA256)
		}
	}
}
