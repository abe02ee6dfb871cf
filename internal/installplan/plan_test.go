package installplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/provision"
)

func planFor(t *testing.T, d disk.Disk, yaml string, seed string) *Plan {
	t.Helper()
	a, err := answers.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	c := Candidates([]disk.Disk{d}, Facts{}, DefaultRequirements())[0]
	p, err := MakePlan(c, a, "Plinth", "1.2.3", 40<<20, []byte(seed))
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
	if esp.Number != 1 || esp.FirstLBA != 2048 || esp.LastLBA != 2048+provision.ESPSize/512-1 || esp.SizeBytes != provision.ESPSize ||
		esp.TypeGUID.String() != "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" || esp.Filesystem != "vfat" || esp.Label != provision.ESPLabel || esp.Name != provision.ESPName {
		t.Errorf("ESP: %+v", esp)
	}
	if data.Number != 2 || data.FirstLBA != esp.LastLBA+1 || data.Filesystem != "ext4" || data.Label != provision.DataName ||
		data.TypeGUID.String() != "0fc63daf-8483-4772-8e79-3d69d8477de4" || data.SizeBytes != int64(data.LastLBA-data.FirstLBA+1)*512 {
		t.Errorf("data: %+v", data)
	}
	if (data.LastLBA+1)%2048 != 0 || int64(data.LastLBA+1)*512 > d.Size-33*512 {
		t.Errorf("data end %d not aligned or past the backup GPT", data.LastLBA)
	}
	wantDP := fmt.Sprintf(`HD(1,GPT,%s,0x800,0x100000)/File(\EFI\plinth\plinth.efi)`, esp.UniqueGUID)
	if !strings.EqualFold(p.BootEntry.DevicePath, wantDP) {
		t.Errorf("device path %s, want %s", p.BootEntry.DevicePath, wantDP)
	}
	if p.BootEntry.Label != "Plinth" || p.BootEntry.LoaderPath != `\EFI\plinth\plinth.efi` || p.BootEntry.FallbackPath != `\EFI\BOOT\BOOTX64.EFI` {
		t.Errorf("boot entry: %+v", p.BootEntry)
	}
	wantFiles := []PlanFile{
		{Path: "EFI/plinth/plinth.efi", Size: 40 << 20, What: "runtime UKI"},
		{Path: "EFI/BOOT/BOOTX64.EFI", Size: 40 << 20, What: "runtime UKI, removable-media fallback copy"},
		{Path: "EFI/plinth/plinth.json", What: "installed configuration"},
	}
	if fmt.Sprint(p.ESPFiles) != fmt.Sprint(wantFiles) {
		t.Errorf("files %+v, want %+v", p.ESPFiles, wantFiles)
	}
	if p.Config.Hostname != "db-01" || !p.Config.HostnameSet || p.Config.NetworkMode != "static" || p.Config.Address != "192.0.2.10/24" ||
		p.Config.Gateway != "192.0.2.1" || fmt.Sprint(p.Config.DNS) != "[192.0.2.53]" || p.After != "poweroff" {
		t.Errorf("config %+v after %s", p.Config, p.After)
	}
	if !p.SetFileDigest("EFI/plinth/plinth.efi", 41<<20, "ABCDEF") || p.ESPFiles[0].SHA256 != "abcdef" || p.SetFileDigest("nope", 1, "") {
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
		`"espFiles":[`, `"bootEntry":{"label":"Plinth","loaderPath":"\\EFI\\plinth\\plinth.efi"`, `"config":{"hostname":"db-01"`, `"after":"poweroff"`, `"overwrite":{"hasData":false}`} {
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
	if err := json.Unmarshal(b, &back); err != nil || back.Partitions[1].UniqueGUID != data.UniqueGUID {
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
	if pa.Disk.GUID == pb.Disk.GUID || pa.Partitions[0].UniqueGUID == pb.Partitions[0].UniqueGUID {
		t.Error("different seeds gave the same GUIDs")
	}
	if pa.Config.HostnameSet || pa.Config.NetworkMode != "dhcp" || pa.After != "reboot" {
		t.Errorf("defaults: %+v %s", pa.Config, pa.After)
	}
}

func TestMakePlan4Kn(t *testing.T) {
	d := disk.Disk{Name: "nvme1n1", Path: "/dev/nvme1n1", Serial: "4kn0001", Size: 64 << 30, LogicalBlockSize: 4096, Transport: "nvme"}
	p := planFor(t, d, "disk: serial:4kn0001\n", "x")
	if p.Disk.SectorSize != 4096 || p.Partitions[0].FirstLBA != 256 || p.Partitions[0].SizeBytes != provision.ESPSize {
		t.Errorf("4Kn: %+v %+v", p.Disk, p.Partitions[0])
	}
	if !strings.Contains(p.BootEntry.DevicePath, ",0x100,0x20000)") {
		t.Errorf("4Kn device path %s", p.BootEntry.DevicePath)
	}
}

func TestMakePlanErrors(t *testing.T) {
	good := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0]
	tiny := good
	tiny.Disk.Size = provision.MinDiskSize - 1 // as if the requirements had been lowered below the layout's
	boot := Candidates([]disk.Disk{testDisks()[0]}, Facts{BootDisk: "nvme0n1"}, DefaultRequirements())[0]
	tests := []struct {
		name    string
		c       Candidate
		product string
		uki     int64
		code    string
	}{
		{"too small", tiny, "Plinth", 1 << 20, CodeDiskTooSmall},
		{"boot medium", boot, "Plinth", 1 << 20, CodeDiskIneligible},
		{"no product", good, " ", 1 << 20, CodeInternal},
		{"no uki", good, "Plinth", 0, CodeInternal},
		{"uki too large", good, "Plinth", 300 << 20, CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MakePlan(tc.c, nil, tc.product, "1", tc.uki, nil)
			if Code(err) != tc.code {
				t.Errorf("err %v code %q, want %q", err, Code(err), tc.code)
			}
		})
	}
	// Too small via Candidates: the requirement, not the layout, refuses it.
	small := Candidates([]disk.Disk{{Name: "vda", Serial: "small1", Size: 4 * gb}}, Facts{}, DefaultRequirements())[0]
	if _, err := MakePlan(small, nil, "Plinth", "1", 1<<20, nil); Code(err) != CodeDiskTooSmall || !strings.Contains(err.Error(), "too small: 4.0 GB < 8.0 GB") {
		t.Errorf("small: %v (%s)", err, Code(err))
	}
}

func TestMakePlanDataSize(t *testing.T) {
	good := Candidates([]disk.Disk{testDisks()[0]}, Facts{}, DefaultRequirements())[0] // 1 TB, 512-byte sectors
	tiny := good
	tiny.Disk.Size = provision.MinDiskSize - 1
	const dataFirst = 2048 + provision.ESPSize/512
	tests := []struct {
		name     string
		c        Candidate
		dataSize int64
		lastLBA  uint64 // of the data partition, when accepted
		code     string
		contains []string
	}{
		{"rest", good, 0, 1953124351, "", nil},
		{"20 GiB", good, 20 << 30, dataFirst + 20<<30/512 - 1, "", nil},
		{"rounded up", good, 20<<30 + 1, dataFirst + (20<<30+1<<20)/512 - 1, "", nil},
		{"largest that fits", good, 953161 << 20, 1953124351, "", nil},
		{"one MiB too large", good, 953162 << 20, 0, CodeDataSizeInvalid,
			[]string{"installplan: disk [23456a] Samsung SSD 980 1TB, 1.0 TB, serial S64ANS0T123456A", "data partition of 930.8 GiB does not fit", "at most 930.8 GiB (953161 MiB)"}},
		{"2 TiB on 1 TB", good, 2 << 40, 0, CodeDataSizeInvalid, []string{"[23456a]", "of 2 TiB does not fit on a disk of 931.3 GiB"}},
		{"below minimum", good, 100 << 20, 0, CodeDataSizeInvalid, []string{"[23456a]", "100 MiB is too small: at least 256 MiB"}},
		{"negative", good, -1, 0, CodeDataSizeInvalid, []string{"negative"}},
		{"disk too small comes first", tiny, 1 << 30, 0, CodeDiskTooSmall, []string{"too small: Plinth needs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := answers.Default()
			a.DataSize = tc.dataSize
			p, err := MakePlan(tc.c, &a, "Plinth", "1", 40<<20, []byte("seed"))
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
			if p.Layout.Data.LastLBA != data.LastLBA {
				t.Errorf("layout ends data at %d, plan at %d", p.Layout.Data.LastLBA, data.LastLBA)
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
