package gptdev

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gpt/gpttest"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestSgdiskAcceptsOurs writes with Disk.Commit and checks the result with
// sgdisk -v, -p and -i.
func TestSgdiskAcceptsOurs(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	img := testdisk.TempSparse(t, "disk.img", 8<<30)
	d, err := Open(img, 0, blockdev.Roots{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tb := gpttest.Sample(t, d.Size(), d.SectorSize())
	if err := d.Commit(tb, true); err != nil {
		t.Fatal(err)
	}
	if out := testdisk.Run(t, sgdisk, "-v", img); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	out := testdisk.Run(t, sgdisk, "-p", img)
	if got, want := gpttest.ParseSgdiskPrint(t, out), gpttest.Rows(tb); !reflect.DeepEqual(got, want) {
		t.Errorf("sgdisk -p partitions %+v, want %+v\n%s", got, want, out)
	}
	for _, want := range []string{
		"Disk identifier (GUID): " + tb.DiskGUID.Upper(),
		fmt.Sprintf("First usable sector is %d, last usable sector is %d", tb.FirstUsable, tb.LastUsable),
		"Partition table holds up to 128 entries",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sgdisk -p lacks %q:\n%s", want, out)
		}
	}
	for _, p := range tb.Partitions {
		info := testdisk.Run(t, sgdisk, "-i", fmt.Sprint(p.Number), img)
		for _, want := range []string{
			"Partition unique GUID: " + p.GUID.Upper(),
			"Partition GUID code: " + p.Type.Upper(),
			fmt.Sprintf("Attribute flags: %016X", p.Attributes),
			fmt.Sprintf("Partition name: '%s'", p.Name),
		} {
			if !strings.Contains(info, want) {
				t.Errorf("sgdisk -i %d lacks %q:\n%s", p.Number, want, info)
			}
		}
	}
}

// TestReadSgdisks reads tables that sgdisk wrote.
func TestReadSgdisks(t *testing.T) {
	sgdisk := testdisk.Tool(t, "sgdisk")
	img := testdisk.TempSparse(t, "disk.img", 8<<30)
	diskGUID := "B0000000-0000-4000-8000-000000000001"
	testdisk.Run(t, sgdisk, "-o", "-U", diskGUID,
		"-n", "1:0:+512M", "-t", "1:EF00", "-c", "1:EFI system", "-u", "1:B0000000-0000-4000-8000-000000000002",
		"-n", "3:0:+100K", "-t", "3:8200", "-A", "3:set:2",
		"-n", "2:0:0", "-t", "2:8304", "-c", "2:root",
		img)
	out := testdisk.Run(t, sgdisk, "-p", img)
	d, err := Open(img, 512, blockdev.Roots{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tb, err := d.Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if tb.DiskGUID.Upper() != diskGUID || tb.FromBackup {
		t.Errorf("disk GUID %s, from backup %v", tb.DiskGUID, tb.FromBackup)
	}
	if got, want := gpttest.Rows(tb), gpttest.ParseSgdiskPrint(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("read %+v, sgdisk -p shows %+v", got, want)
	}
	if p := tb.Partition(1); p == nil || p.GUID.Upper() != "B0000000-0000-4000-8000-000000000002" || p.Type != gpt.TypeESP {
		t.Errorf("partition 1: %+v", p)
	}
	if p := tb.Partition(3); p == nil || p.Attributes != 1<<2 || p.Sectors() != 200 {
		t.Errorf("partition 3: %+v", p)
	}
}
