package netanswers

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// smbiosDump wraps a structure table in the file dmidecode --from-dump
// reads: a 64-bit SMBIOS 3.0 entry point (DSP0134 §5.2.2) at offset 0,
// pointing at the table at offset 32.
func smbiosDump(table []byte) []byte {
	ep := make([]byte, 32)
	copy(ep, "_SM3_")
	ep[6] = 0x18 // entry point length
	ep[7], ep[8] = 3, 0
	ep[10] = 1 // entry point revision
	binary.LittleEndian.PutUint32(ep[12:], uint32(len(table)))
	binary.LittleEndian.PutUint64(ep[16:], 32)
	var sum byte
	for _, b := range ep[:0x18] {
		sum += b
	}
	ep[5] = -sum
	return append(ep, table...)
}

// TestDmidecodeAgrees checks the hand-made fixtures and the parser
// against dmidecode: both must find the same type 11 structures, with
// the same handles and strings.
func TestDmidecodeAgrees(t *testing.T) {
	dmidecode := testdisk.Tool(t, "dmidecode")
	type1 := append([]byte{0x01, 0x08, 0x00, 0x01, 1, 2, 3, 4}, stringSet("QEMU", "Standard PC", "pc-q35", "SN-1")...)
	table := slices.Concat(type1,
		oemRaw(0x0b00, 2, "plinth.answers-url=http://10.0.2.2/${uuid}.yaml", "vendor=x y"),
		oemRaw(0x0b01, 0),
		oemRaw(0x0b02, 1, "plinth.report-url=https://prov.example/r?m=${mac}"),
		[]byte{0x7f, 0x04, 0xff, 0xfe, 0, 0})
	path := filepath.Join(t.TempDir(), "dmi.bin")
	if err := os.WriteFile(path, smbiosDump(table), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(dmidecode, "--from-dump", path, "-t", "11").CombinedOutput()
	if err != nil {
		t.Fatalf("dmidecode: %v\n%s", err, out)
	}
	want := dmidecodeOEM(string(out))

	ss, err := ParseStructures(table)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		if s.Type != TypeOEMStrings {
			continue
		}
		strs, err := OEMStrings(s)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("handle %#04x: %q", s.Handle, strs))
	}
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Errorf("parsed:\n%s\ndmidecode:\n%s\n(output %s)", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
}

// dmidecodeOEM reads dmidecode's type 11 output as "handle 0x0b00:
// [strings]" lines.
func dmidecodeOEM(out string) []string {
	handle := regexp.MustCompile(`^Handle (0x[0-9A-F]+), DMI type 11,`)
	str := regexp.MustCompile(`^\tString \d+: (.*)$`)
	var res []string
	var cur []string
	var h string
	flush := func() {
		if h != "" {
			res = append(res, fmt.Sprintf("handle %s: %q", strings.ToLower(h), cur))
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if m := handle.FindStringSubmatch(line); m != nil {
			flush()
			h, cur = m[1], nil
		} else if m := str.FindStringSubmatch(line); m != nil && h != "" {
			cur = append(cur, m[1])
		}
	}
	flush()
	return res
}
