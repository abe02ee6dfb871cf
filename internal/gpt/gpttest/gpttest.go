// Package gpttest holds what tests of GPT code share: a fixed sample
// table, and the partition rows of `sgdisk -p` to compare tables with a
// tool that is not ours.
package gpttest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// Sample is a fixed two-partition table for a disk of size bytes with
// ss-byte sectors, deterministic given its GUIDs: an ESP of 4 alignment
// units with attribute bit 0, and a data partition with a non-ASCII name
// to the end.
func Sample(t testing.TB, size int64, ss int) *gpt.Table {
	t.Helper()
	tb, err := gpt.New(size, ss)
	if err != nil {
		t.Fatal(err)
	}
	tb.DiskGUID = guid.MustParse("A0000000-0000-4000-8000-000000000001")
	a := tb.Alignment
	for _, p := range []gpt.Partition{
		{Number: 1, Type: gpt.TypeESP, GUID: guid.MustParse("A0000000-0000-4000-8000-000000000002"), FirstLBA: a, LastLBA: 5*a - 1, Name: "ESP", Attributes: 1},
		{Number: 2, Type: gpt.TypeLinuxFS, GUID: guid.MustParse("A0000000-0000-4000-8000-000000000003"), FirstLBA: 5 * a, LastLBA: tb.LastUsable, Name: "data ü"},
	} {
		if err := tb.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// SgdiskRow is one partition line of "sgdisk -p".
type SgdiskRow struct {
	Number     int
	Start, End uint64
	Code, Name string
}

var sgdiskRowRE = regexp.MustCompile(`^ *(\d+) +(\d+) +(\d+) +\S+ \S+ +([0-9A-F]{4})  ?(.*)$`)

// ParseSgdiskPrint extracts the partition rows of "sgdisk -p".
func ParseSgdiskPrint(t testing.TB, out string) []SgdiskRow {
	t.Helper()
	var rows []SgdiskRow
	_, table, ok := strings.Cut(out, "Number  Start (sector)")
	if !ok {
		t.Fatalf("no partition list in sgdisk -p output:\n%s", out)
	}
	for _, line := range strings.Split(table, "\n")[1:] {
		m := sgdiskRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		s, _ := strconv.ParseUint(m[2], 10, 64)
		e, _ := strconv.ParseUint(m[3], 10, 64)
		rows = append(rows, SgdiskRow{n, s, e, m[4], strings.TrimRight(m[5], " ")})
	}
	return rows
}

// Rows turns a table into what sgdisk -p should show for it.
func Rows(tb *gpt.Table) []SgdiskRow {
	var r []SgdiskRow
	for _, p := range tb.Partitions {
		code, _ := gpt.TypeCode(p.Type)
		r = append(r, SgdiskRow{p.Number, p.FirstLBA, p.LastLBA, code, p.Name})
	}
	return r
}

// SgdiskESPImage makes a 64 MiB GPT disk image with sgdisk: partition 1
// is a 32 MiB ESP at LBA 2048 (0x800, 0x10000 sectors) with PARTUUID
// partUUID, partition 2 a Linux filesystem over the rest.
func SgdiskESPImage(t testing.TB, partUUID string) string {
	t.Helper()
	img := testdisk.TempSparse(t, "disk.img", 64<<20)
	testdisk.Run(t, testdisk.Tool(t, "sgdisk"), "-o",
		"-n", "1:2048:+32M", "-t", "1:ef00", "-u", "1:"+partUUID,
		"-n", "2:0:0", "-t", "2:8300", img)
	return img
}
