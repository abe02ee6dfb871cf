package installplan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/provision"
)

func planFor(t *testing.T, d disk.Disk, yaml string, seed string) *Plan {
	t.Helper()
	a, err := answers.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	c := Candidates([]disk.Disk{d}, Facts{}, DefaultRequirements())[0]
	p, err := MakePlan(Request{Target: c, Answers: a, Product: "Plinth", Version: "1.2.3", RuntimeUKISize: 40 << 20, Seed: []byte(seed)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMakePlan(t *testing.T) {
	d := testDisks()[0] // 1 TB NVMe, 512-byte sectors
	p := planFor(t, d, "disk: largest\nhostname: db-01\nnetwork:\n  mode: static\n  address: 192.0.2.10/24\n  gateway: 192.0.2.1\n  dns: [192.0.2.53]\nafter: poweroff\n", "seed")

	if p.Disk.Path != "/dev/nvme0n1" || p.Disk.Serial != d.Serial || p.Disk.Size != d.Size || p.Disk.SectorSize != 512 || p.Disk.ShortID != "23456a" {
		t.Errorf("disk: %+v", p.Disk)
	}
	if len(p.Partitions) != 2 {
		t.Fatalf("%d partitions", len(p.Partitions))
	}
	esp, data := p.Partitions[0], p.Partitions[1]
	if esp.Number != 1 || esp.FirstLBA != 2048 || esp.LastLBA != 2048+disklayout.ESPSize/512-1 || esp.SizeBytes != disklayout.ESPSize ||
		esp.Type.String() != "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" || esp.Filesystem != "vfat" || esp.Label != disklayout.ESPLabel || esp.Name != disklayout.ESPName {
		t.Errorf("ESP: %+v", esp)
	}
	if data.Number != 2 || data.FirstLBA != esp.LastLBA+1 || data.Filesystem != "ext4" || data.Label != disklayout.DataName ||
		data.Type.String() != "0fc63daf-8483-4772-8e79-3d69d8477de4" || data.SizeBytes != int64(data.LastLBA-data.FirstLBA+1)*512 {
		t.Errorf("data: %+v", data)
	}
	if (data.LastLBA+1)%2048 != 0 || int64(data.LastLBA+1)*512 > d.Size-33*512 {
		t.Errorf("data end %d not aligned or past the backup GPT", data.LastLBA)
	}
	wantDP := fmt.Sprintf(`HD(1,GPT,%s,0x800,0x100000)/File(\EFI\plinth\slot-a.efi)`, esp.GUID)
	if !strings.EqualFold(p.BootEntry.DevicePath.String(), wantDP) {
		t.Errorf("device path %s, want %s", p.BootEntry.DevicePath, wantDP)
	}
	if p.BootEntry.Label != "Plinth A" || p.BootEntry.LoaderPath != `\EFI\plinth\slot-a.efi` || p.BootEntry.FallbackPath != `\EFI\BOOT\BOOTX64.EFI` {
		t.Errorf("boot entry: %+v", p.BootEntry)
	}
	// The config is made at plan time: its entry carries the digest of
	// the plan's installed config.
	cfg, err := appconfig.Marshal(p.Installed)
	if err != nil {
		t.Fatal(err)
	}
	cfgSum := sha256.Sum256(cfg)
	wantFiles := []PlanFile{
		{Path: "EFI/plinth/slot-a.efi", Source: FromRuntimeUKI, Size: 40 << 20, What: "runtime UKI"},
		{Path: "EFI/BOOT/BOOTX64.EFI", Source: FromRuntimeUKI, Size: 40 << 20, What: "runtime UKI, removable-media fallback copy"},
		{Path: "EFI/plinth/slots.json", Source: FromSlotState, What: "A/B slot state: slot A committed"},
		{Path: "EFI/plinth/plinth.json", Source: FromConfig, Size: int64(len(cfg)), SHA256: hex.EncodeToString(cfgSum[:]), What: "installed configuration"},
	}
	if fmt.Sprint(p.ESPFiles) != fmt.Sprint(wantFiles) {
		t.Errorf("files %+v, want %+v", p.ESPFiles, wantFiles)
	}
	if p.Config.Hostname != "db-01" || !p.Config.HostnameSet || p.Config.NetworkMode != "static" || p.Config.Address != "192.0.2.10/24" ||
		p.Config.Gateway != "192.0.2.1" || fmt.Sprint(p.Config.DNS) != "[192.0.2.53]" || p.After != "poweroff" {
		t.Errorf("config %+v after %s", p.Config, p.After)
	}
	if !p.SetFileDigest("EFI/plinth/slot-a.efi", 41<<20, "ABCDEF") || p.ESPFiles[0].SHA256 != "abcdef" || p.SetFileDigest("nope", 1, "") {
		t.Errorf("SetFileDigest: %+v", p.ESPFiles)
	}

	// JSON: fixed key order, no Go-only fields, one line.
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(b, '\n') {
		t.Error("JSON has a newline")
	}
	s := string(b)
	last := -1
	for _, k := range []string{`"product":"Plinth"`, `"version":"1.2.3"`, `"disk":{"name":"nvme0n1","path":"/dev/nvme0n1"`, `"partitions":[{"number":1,"name":"EFI System","typeGuid":`,
		`"espFiles":[`, `"bootEntry":{"label":"Plinth A","loaderPath":"\\EFI\\plinth\\slot-a.efi"`, `"config":{"hostname":"db-01"`, `"after":"poweroff"`, `"overwrite":{"hasData":false}`} {
		i := strings.Index(s, k)
		if i < 0 || i < last {
			t.Errorf("JSON lacks %s or has it out of order:\n%s", k, s)
		}
		last = i
	}
	if strings.Contains(s, "Layout") || strings.Contains(s, "DiskSize") {
		t.Errorf("JSON leaks the layout: %s", s)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil || back.Partitions[1].GUID != data.GUID {
		t.Errorf("round trip: %v %+v", err, back.Partitions)
	}
}

func TestMakePlanDeterministic(t *testing.T) {
	d := testDisks()[0]
	j := func(seed string) string {
		b, err := planFor(t, d, "disk: largest\n", seed).JSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if a, b := j("one"), j("one"); a != b {
		t.Errorf("same inputs, different plans:\n%s\n%s", a, b)
	}
	pa, pb := planFor(t, d, "disk: largest\n", "one"), planFor(t, d, "disk: largest\n", "two")
	if pa.Disk.GUID == pb.Disk.GUID || pa.Partitions[0].GUID == pb.Partitions[0].GUID {
		t.Error("different seeds gave the same GUIDs")
	}
	if pa.Config.HostnameSet || pa.Config.NetworkMode != "dhcp" || pa.After != "reboot" {
		t.Errorf("defaults: %+v %s", pa.Config, pa.After)
	}
}

func TestMakePlan4Kn(t *testing.T) {
	d := disk.Disk{Name: "nvme1n1", Path: "/dev/nvme1n1", Serial: "4kn0001", Size: 64 << 30, LogicalBlockSize: 4096, Transport: "nvme"}
	p := planFor(t, d, "disk: serial:4kn0001\n", "x")
	if p.Disk.SectorSize != 4096 || p.Partitions[0].FirstLBA != 256 || p.Partitions[0].SizeBytes != disklayout.ESPSize {
		t.Errorf("4Kn: %+v %+v", p.Disk, p.Partitions[0])
	}
	if !strings.Contains(p.BootEntry.DevicePath.String(), ",0x100,0x20000)") {
		t.Errorf("4Kn device path %s", p.BootEntry.DevicePath)
	}
}

func TestMakePlanErrors(t *testing.T) {
	good := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0]
	tiny := good
	tiny.Disk.Size = disklayout.MinDiskSize - 1 // as if the requirements had been lowered below the layout's
	boot := Candidates([]disk.Disk{testDisks()[0]}, Facts{BootDisk: "nvme0n1"}, DefaultRequirements())[0]
	tests := []struct {
		name    string
		c       Candidate
		product string
		uki     int64
		code    errcode.Code
	}{
		{"too small", tiny, "Plinth", 1 << 20, errcode.DiskTooSmall},
		{"boot medium", boot, "Plinth", 1 << 20, errcode.DiskIneligible},
		{"no product", good, " ", 1 << 20, errcode.Internal},
		{"no uki", good, "Plinth", 0, errcode.Internal},
		{"uki too large", good, "Plinth", 300 << 20, errcode.Internal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MakePlan(Request{Target: tc.c, Product: tc.product, Version: "1", RuntimeUKISize: tc.uki})
			if Code(err) != tc.code {
				t.Errorf("err %v code %q, want %q", err, Code(err), tc.code)
			}
		})
	}
	// Too small via Candidates: the requirement, not the layout, refuses it.
	small := Candidates([]disk.Disk{{Name: "vda", Serial: "small1", Size: 4 * gb}}, Facts{}, DefaultRequirements())[0]
	if _, err := MakePlan(Request{Target: small, Product: "Plinth", Version: "1", RuntimeUKISize: 1 << 20}); Code(err) != errcode.DiskTooSmall || !strings.Contains(err.Error(), "too small: 4.0 GB < 8.0 GB") {
		t.Errorf("small: %v (%s)", err, Code(err))
	}
}

func TestMakePlanDataSize(t *testing.T) {
	good := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0] // 1 TB, 512-byte sectors
	tiny := good
	tiny.Disk.Size = disklayout.MinDiskSize - 1
	const dataFirst = 2048 + disklayout.ESPSize/512
	tests := []struct {
		name     string
		c        Candidate
		dataSize int64
		lastLBA  uint64 // of the data partition, when accepted
		code     errcode.Code
		contains []string
	}{
		{"rest", good, 0, 1953124351, "", nil},
		{"20 GiB", good, 20 << 30, dataFirst + 20<<30/512 - 1, "", nil},
		{"rounded up", good, 20<<30 + 1, dataFirst + (20<<30+1<<20)/512 - 1, "", nil},
		{"largest that fits", good, 953161 << 20, 1953124351, "", nil},
		{"one MiB too large", good, 953162 << 20, 0, errcode.DataSizeInvalid,
			[]string{"installplan: disk [23456a] Samsung SSD 980 1TB, 1.0 TB, serial S64ANS0T123456A", "data partition of 930.8 GiB does not fit", "at most 930.8 GiB (953161 MiB)"}},
		{"2 TiB on 1 TB", good, 2 << 40, 0, errcode.DataSizeInvalid, []string{"[23456a]", "of 2 TiB does not fit on a disk of 931.3 GiB"}},
		{"below minimum", good, 100 << 20, 0, errcode.DataSizeInvalid, []string{"[23456a]", "100 MiB is too small: at least 256 MiB"}},
		{"negative", good, -1, 0, errcode.DataSizeInvalid, []string{"negative"}},
		{"disk too small comes first", tiny, 1 << 30, 0, errcode.DiskTooSmall, []string{"too small: Plinth needs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := answers.Default()
			a.DataSize = tc.dataSize
			p, err := MakePlan(Request{Target: tc.c, Answers: &a, Product: "Plinth", Version: "1", RuntimeUKISize: 40 << 20, Seed: []byte("seed")})
			if Code(err) != tc.code {
				t.Fatalf("err %v code %q, want %q", err, Code(err), tc.code)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if err != nil {
				return
			}
			data := p.Partitions[1]
			if data.FirstLBA != dataFirst || data.LastLBA != tc.lastLBA || data.SizeBytes != int64(tc.lastLBA-dataFirst+1)*512 {
				t.Errorf("data partition %d-%d (%d bytes), want %d-%d", data.FirstLBA, data.LastLBA, data.SizeBytes, dataFirst, tc.lastLBA)
			}
			if l, _ := provision.Plan(tc.c.Disk.Size, 512, tc.dataSize, []byte("seed")); l.Data != data.Partition || l.ESP != p.Partitions[0].Partition {
				t.Errorf("layout has data %+v, plan %+v", l.Data, data.Partition)
			}
		})
	}
}

func TestMakePlanDataSizeFromYAML(t *testing.T) {
	p := planFor(t, testDisks()[0], "disk: largest\ndata-size: 20G\n", "seed")
	if got := p.Partitions[1].SizeBytes; got != 20<<30 {
		t.Errorf("data-size: 20G gave a data partition of %d bytes, want %d", got, int64(20<<30))
	}
}

// The plan's JSON keeps the text forms automation reads (the device
// path as UEFI text, GUIDs in text order) and reads back into the same
// typed values.
func TestPlanJSONRoundTrip(t *testing.T) {
	a, err := answers.Parse([]byte("disk: largest\nhostname: db-01\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0]
	p, err := MakePlan(Request{Target: c, Answers: a, Product: "Plinth", Version: "1", RuntimeUKISize: 40 << 20,
		RuntimeUKISHA256: strings.Repeat("AB", 32), ProductUUID: "uuid-1", Seed: []byte("seed")})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.ESPFiles[:2] {
		if f.SHA256 != strings.Repeat("ab", 32) {
			t.Errorf("%s: sha256 %q, want the manifest's in lower case", f.Path, f.SHA256)
		}
	}
	if p.Installed.Hostname != "db-01" || p.Installed.ESP.PartUUID != p.Partitions[0].GUID || p.Installed.Data.PartUUID != p.Partitions[1].GUID {
		t.Errorf("installed config %+v does not match the plan's partitions", p.Installed)
	}
	b, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	esp := p.Partitions[0]
	for _, want := range []string{
		fmt.Sprintf(`"devicePath":"HD(1,GPT,%s,0x800,0x100000)/File(\\EFI\\plinth\\slot-a.efi)"`, esp.GUID),
		fmt.Sprintf(`{"number":1,"name":"EFI System","typeGuid":"c12a7328-f81f-11d2-ba4b-00a0c93ec93b","uniqueGuid":"%s","firstLba":2048,"lastLba":1050623,"sizeBytes":536870912,"filesystem":"vfat","label":"PLINTH_ESP"}`, esp.GUID),
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.BootEntry.DevicePath) != fmt.Sprint(p.BootEntry.DevicePath) || back.Partitions[0].Partition != esp.Partition {
		t.Errorf("read back %+v %+v, want %+v %+v", back.BootEntry, back.Partitions[0], p.BootEntry, esp)
	}
	again, err := back.JSON()
	if err != nil || string(again) != string(b) {
		t.Errorf("JSON changed on a round trip (%v):\n%s\n%s", err, b, again)
	}
	if err := json.Unmarshal([]byte(`{"bootEntry":{"devicePath":"PciRoot(0x0)"}}`), &back); err == nil {
		t.Error("a device path that is not HD/File was read")
	}
}
