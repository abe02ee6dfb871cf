package installplan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/probe"
)

const gb = 1_000_000_000

func testDisks() []disk.Disk {
	return []disk.Disk{
		{Name: "nvme0n1", Path: "/dev/nvme0n1", Model: "Samsung SSD 980 1TB", Serial: "S64ANS0T123456A", WWN: "eui.002538b111b2c3d4", Size: 1000 * gb, LogicalBlockSize: 512, Transport: "nvme"},
		{Name: "sda", Path: "/dev/sda", Model: "INTEL SSDSC2KB48", Serial: "BTYF0000000A480BGN", WWN: "naa.55cd2e404c0a1b2c", Size: 480 * gb, LogicalBlockSize: 512, Transport: "sata", Partitions: []string{"sda1", "sda2"}},
		{Name: "sdb", Path: "/dev/sdb", Model: "DataTraveler 3.0", Serial: "E0D55EA574F2F3B0", Size: 2000 * gb, LogicalBlockSize: 512, Transport: "usb", Removable: true, Partitions: []string{"sdb1", "sdb2"}},
		{Name: "sr0", Path: "/dev/sr0", Model: "QEMU DVD-ROM", Serial: "QM00003", Size: 700_000_000, LogicalBlockSize: 2048, Transport: "cdrom", Removable: true, ReadOnly: true},
		{Name: "vda", Path: "/dev/vda", Serial: "plinth01", Size: 4 * gb, LogicalBlockSize: 512, Transport: "virtio"},
		{Name: "vdb", Path: "/dev/vdb", Size: 20 * gb, LogicalBlockSize: 512, Transport: "virtio"},
	}
}

func testFacts() Facts {
	return Facts{
		BootDisk:   "/dev/sdb2", // the installer USB stick, also the largest disk
		InUse:      map[string][]blockdev.Use{"sda": {{Device: "/dev/sda1", Kind: blockdev.Mounted, By: "/mnt"}}},
		Signatures: map[string][]string{"sda": {probe.GPT}, "sdb": {probe.GPT, probe.ISO9660}, "vdb": {probe.Ext4}},
	}
}

func byName(cs []Candidate) map[string]Candidate {
	m := map[string]Candidate{}
	for _, c := range cs {
		m[c.Disk.Name] = c
	}
	return m
}

func TestCandidates(t *testing.T) {
	cs := Candidates(testDisks(), testFacts(), DefaultRequirements())
	if len(cs) != 6 {
		t.Fatalf("%d candidates", len(cs))
	}
	tests := []struct {
		name     string
		eligible bool
		reasons  []string
		hasData  bool
		shortID  string
	}{
		{"nvme0n1", true, nil, false, "23456a"},
		{"sda", false, []string{"mounted: /dev/sda1 on /mnt"}, true, "480bgn"},
		{"sdb", false, []string{"boot medium"}, true, "f2f3b0"},
		{"sr0", false, []string{"removable CD-ROM", "read-only", "too small: 700.0 MB < 8.0 GB minimum", "unsupported sector size 2048"}, false, "m00003"},
		{"vda", false, []string{"too small: 4.0 GB < 8.0 GB minimum"}, false, "inth01"},
		{"vdb", true, nil, true, ""},
	}
	m := byName(cs)
	for _, tc := range tests {
		c := m[tc.name]
		if c.Eligible != tc.eligible || !reflect.DeepEqual(c.Reasons, tc.reasons) || c.HasData != tc.hasData {
			t.Errorf("%s: eligible %v reasons %q hasData %v, want %v %q %v", tc.name, c.Eligible, c.Reasons, c.HasData, tc.eligible, tc.reasons, tc.hasData)
		}
		if tc.shortID != "" && c.ShortID != tc.shortID {
			t.Errorf("%s: short id %q, want %q", tc.name, c.ShortID, tc.shortID)
		}
		if len(c.ShortID) != 6 {
			t.Errorf("%s: short id %q is not 6 characters", tc.name, c.ShortID)
		}
	}
	// No serial: a stable hash, the same on every call.
	again := byName(Candidates(testDisks(), testFacts(), DefaultRequirements()))
	if again["vdb"].ShortID != m["vdb"].ShortID {
		t.Errorf("short id of vdb not stable: %q, %q", m["vdb"].ShortID, again["vdb"].ShortID)
	}
}

// Every use blockdev finds makes a disk ineligible, each with its reason.
func TestCandidatesInUse(t *testing.T) {
	f := Facts{InUse: map[string][]blockdev.Use{"nvme0n1": {
		{Device: "/dev/nvme0n1p2", Kind: blockdev.Swap},
		{Device: "/dev/nvme0n1p3", Kind: blockdev.Held, By: "dm-0"},
	}}}
	c := byName(Candidates(testDisks(), f, DefaultRequirements()))["nvme0n1"]
	want := []string{"in use: /dev/nvme0n1p2 is used as swap", "in use: /dev/nvme0n1p3 is held by dm-0"}
	if c.Eligible || !reflect.DeepEqual(c.Reasons, want) || len(c.Codes) != 2 || c.Codes[0] != errcode.DiskIneligible {
		t.Errorf("nvme0n1: eligible %v reasons %q codes %v, want %q", c.Eligible, c.Reasons, c.Codes, want)
	}
}

func TestCandidatesISOOnOtherDisk(t *testing.T) {
	// Boot disk unknown: a stick holding an ISO is still refused.
	f := testFacts()
	f.BootDisk = ""
	c := byName(Candidates(testDisks(), f, DefaultRequirements()))["sdb"]
	if c.Eligible || !strings.Contains(strings.Join(c.Reasons, ";"), "ISO 9660") {
		t.Errorf("sdb: eligible %v reasons %q", c.Eligible, c.Reasons)
	}
}

func TestShortIDCollisions(t *testing.T) {
	ds := []disk.Disk{
		{Name: "vda", Serial: "AAAA123456", Size: 10 * gb},
		{Name: "vdb", Serial: "BBBB123456", Size: 10 * gb},
		{Name: "vdc", Serial: "SAME", Size: 10 * gb},
		{Name: "vdd", Serial: "SAME", Size: 10 * gb},
	}
	cs := Candidates(ds, Facts{}, Requirements{})
	got := []string{cs[0].ShortID, cs[1].ShortID, cs[2].ShortID, cs[3].ShortID}
	want := []string{"a123456", "b123456", "same-vdc", "same-vdd"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCheckMachine(t *testing.T) {
	req := Requirements{MinRAM: 1 << 30, MinCPUs: 2}
	for _, tc := range []struct {
		f    Facts
		code errcode.Code
	}{
		{Facts{RAM: 2 << 30, CPUs: 2}, ""},
		{Facts{}, ""},
		{Facts{RAM: 512 << 20, CPUs: 4}, errcode.MachineTooSmall},
		{Facts{RAM: 2 << 30, CPUs: 1}, errcode.MachineTooSmall},
	} {
		if got := Code(CheckMachine(tc.f, req)); got != tc.code {
			t.Errorf("%+v: code %q, want %q", tc.f, got, tc.code)
		}
	}
}

func TestSelect(t *testing.T) {
	cs := Candidates(testDisks(), testFacts(), DefaultRequirements())
	tests := []struct {
		sel      string
		want     string // disk name, or "" for an error
		code     errcode.Code
		contains string
	}{
		{"largest", "nvme0n1", "", ""}, // sdb is larger but the boot medium
		{"smallest", "vdb", "", ""},
		{"serial:S64ANS0T123456A", "nvme0n1", "", ""},
		{"S64ANS0T123456A", "nvme0n1", "", ""},
		{"wwn:eui.002538B111B2C3D4", "nvme0n1", "", ""},
		{"by-id:/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T123456A", "nvme0n1", "", ""},
		{"by-id:/dev/disk/by-id/nvme-eui.002538b111b2c3d4", "nvme0n1", "", ""},
		{"serial:E0D55EA574F2F3B0", "", errcode.DiskIneligible, "boot medium"},
		{"serial:plinth01", "", errcode.DiskTooSmall, "too small"},
		{"serial:BTYF0000000A480BGN", "", errcode.DiskIneligible, "mounted: /dev/sda1 on /mnt"},
		{"wwn:0x55cd2e404c0a1b2c", "", errcode.DiskIneligible, "mounted"},
		{"by-id:/dev/disk/by-id/wwn-0x55cd2e404c0a1b2c", "", errcode.DiskIneligible, "mounted"},
		{"serial:NOPE", "", errcode.NoDisk, "no disk matches serial NOPE (disks: [23456a] Samsung SSD 980 1TB, 1.0 TB, serial S64ANS0T123456A (nvme, nvme0n1)"},
		{"by-id:/dev/disk/by-id/ata-nope", "", errcode.NoDisk, "no disk matches by-id name ata-nope"},
	}
	for _, tc := range tests {
		t.Run(tc.sel, func(t *testing.T) {
			sel, err := answers.ParseSelector(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Select(cs, sel)
			if tc.want != "" {
				if err != nil || c.Disk.Name != tc.want {
					t.Fatalf("got %s, %v; want %s", c.Disk.Name, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("selected %s, want an error", c.Disk.Name)
			}
			if Code(err) != tc.code || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q code %q; want code %q containing %q", err, Code(err), tc.code, tc.contains)
			}
		})
	}
}

func TestSelectNoEligibleAndTies(t *testing.T) {
	small := []disk.Disk{{Name: "vda", Serial: "s1", Size: gb, Transport: "virtio"}, {Name: "vdb", Serial: "s2", Size: 2 * gb, Transport: "virtio"}}
	_, err := Select(Candidates(small, Facts{}, DefaultRequirements()), answers.Selector{Kind: answers.SelectLargest})
	if Code(err) != errcode.DiskTooSmall || !strings.Contains(err.Error(), "no eligible disk") {
		t.Errorf("all too small: %v (%s)", err, Code(err))
	}
	_, err = Select(nil, answers.Selector{Kind: answers.SelectLargest})
	if Code(err) != errcode.NoDisk {
		t.Errorf("no disks: %v", err)
	}
	twins := []disk.Disk{{Name: "vda", Serial: "twin1", Size: 20 * gb}, {Name: "vdb", Serial: "twin2", Size: 20 * gb}}
	_, err = Select(Candidates(twins, Facts{}, DefaultRequirements()), answers.Selector{Kind: answers.SelectLargest})
	if Code(err) != errcode.DiskAmbiguous {
		t.Errorf("twins: %v", err)
	}
	same := []disk.Disk{{Name: "vda", Serial: "dup", Size: 20 * gb}, {Name: "vdb", Serial: "dup", Size: 30 * gb}}
	_, err = Select(Candidates(same, Facts{}, DefaultRequirements()), answers.Selector{Kind: answers.SelectSerial, Value: "dup"})
	if Code(err) != errcode.DiskAmbiguous {
		t.Errorf("duplicate serial: %v", err)
	}
}

func TestBootMediumNeverEligible(t *testing.T) {
	ds := testDisks()
	for _, boot := range []string{"sdb", "/dev/sdb", "sdb1", "/dev/sdb2"} {
		f := testFacts()
		f.BootDisk = boot
		f.Signatures = nil
		c, err := Select(Candidates(ds, f, Requirements{}), answers.Selector{Kind: answers.SelectLargest})
		if err != nil || c.Disk.Name == "sdb" {
			t.Errorf("boot %s: selected %s, %v", boot, c.Disk.Name, err)
		}
	}
}

func TestConfirm(t *testing.T) {
	m := byName(Candidates(testDisks(), testFacts(), DefaultRequirements()))
	withData, empty, boot := m["vdb"], m["nvme0n1"], m["sdb"]
	tests := []struct {
		name  string
		c     Candidate
		wipe  bool
		typed string
		code  errcode.Code
	}{
		{"empty disk", empty, false, "", ""},
		{"data, wipe", withData, true, "", ""},
		{"data, nothing", withData, false, "", errcode.DiskHasData},
		{"data, typed short id", withData, false, " " + strings.ToUpper(withData.ShortID) + "\n", ""},
		{"data, typed wrong", withData, false, "yes", errcode.DiskHasData},
		{"boot medium, wipe", boot, true, "", errcode.DiskIneligible},
		{"boot medium, typed serial", boot, false, "E0D55EA574F2F3B0", errcode.DiskIneligible},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Confirm(tc.c, tc.wipe, tc.typed)
			if Code(err) != tc.code {
				t.Errorf("err %v code %q, want %q", err, Code(err), tc.code)
			}
		})
	}
	sda := m["sda"]
	sda.Eligible, sda.Reasons, sda.Codes = true, nil, nil // as if unmounted
	if err := Confirm(sda, false, "BTYF0000000A480BGN"); err != nil {
		t.Errorf("typed serial: %v", err)
	}
	if err := Confirm(sda, false, ""); err == nil || !strings.Contains(err.Error(), "2 partition(s): gpt") {
		t.Errorf("message: %v", err)
	}
}

func TestCode(t *testing.T) {
	_, perr := answers.Parse([]byte("wipe: 1\n"))
	for _, tc := range []struct {
		err  error
		code errcode.Code
	}{
		{nil, ""},
		{errors.New("x"), errcode.Internal},
		{perr, errcode.AnswersInvalid},
		{errorf(errcode.NoDisk, "x"), errcode.NoDisk},
	} {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.code)
		}
	}
}

func TestByID(t *testing.T) {
	tests := []struct {
		d    disk.Disk
		want []string
	}{
		{disk.Disk{Transport: "nvme", Model: "QEMU NVMe Ctrl", Serial: "plinth01", WWN: "nvme.1b36-706c696e74683031-51454d55204e564d65204374726c-00000001"},
			[]string{"nvme-QEMU_NVMe_Ctrl_plinth01", "nvme-nvme.1b36-706c696e74683031-51454d55204e564d65204374726c-00000001"}},
		{disk.Disk{Transport: "sata", Model: "WDC  WD10EZEX-08WN4A0 ", Serial: "WD-WCC6Y0000000", WWN: "naa.50014ee2b0000000"},
			[]string{"ata-WDC_WD10EZEX-08WN4A0_WD-WCC6Y0000000", "wwn-0x50014ee2b0000000"}},
		{disk.Disk{Transport: "virtio", Serial: "data/1"}, []string{"virtio-data_1"}},
		{disk.Disk{Transport: "virtio"}, nil},
		{disk.Disk{Transport: "scsi", WWN: "0x5000C500A1B2C3D4"}, []string{"wwn-0x5000c500a1b2c3d4"}},
		{disk.Disk{Transport: "usb", Model: "Flash", Serial: "123"}, nil},
	}
	for _, tc := range tests {
		if got := ByID(tc.d); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ByID(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
