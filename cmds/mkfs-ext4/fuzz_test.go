package main

import (
	"strings"
	"testing"
)

func FuzzSignature(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 4096))
	mbr := make([]byte, 512)
	mbr[510], mbr[511], mbr[446+4], mbr[446+12] = 0x55, 0xAA, 0x83, 1
	f.Add(mbr)
	f.Fuzz(func(t *testing.T, b []byte) {
		signatureIn(b)
	})
}

func FuzzParseMountInfoLine(f *testing.F) {
	f.Add(`36 35 98:0 /mnt1 /mnt\0402 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`)
	f.Add(`1 2 7:0 / /x - ext4 \`)
	f.Fuzz(func(t *testing.T, line string) {
		if e, ok := parseMountInfoLine(line); ok && strings.Contains(line, " - ") && e.dev == "" {
			t.Fatalf("parsed %q with an empty device", line)
		}
	})
}

func TestSignatures(t *testing.T) {
	img := func(off int, magic string) []byte {
		b := make([]byte, signatureSpan)
		copy(b[off:], magic)
		return b
	}
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{make([]byte, signatureSpan), ""},
		{img(0x438, "\x53\xef"), "ext2/3/4"},
		{img(512, "EFI PART"), "GPT"},
		{img(0x8001, "CD001"), "ISO 9660"},
		{img(0x52, "FAT32   "), "FAT"},
		{img(0x10040, "_BHRfS_M"), "btrfs"},
		{img(510, "\x55\xaa"), ""}, // boot signature but no partition
	} {
		if got := signatureIn(tc.b); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("signatureIn: %q, want %q", got, tc.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		size string
		bs   int
		want int64
	}{
		{"1000", 0, 1000 << 10}, {"1000", 4096, 1000 * 4096}, {"64M", 0, 64 << 20}, {"2g", 1024, 2 << 30},
		{"1T", 0, 1 << 40}, {"100s", 0, 51200}, {"8K", 0, 8192},
	} {
		if got, err := parseSize(tc.size, tc.bs); err != nil || got != tc.want {
			t.Errorf("parseSize(%q, %d) = %d, %v; want %d", tc.size, tc.bs, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "M", "-5M", "0", "1.5G", "99999999999T"} {
		if _, err := parseSize(bad, 0); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	if u, err := parseUUID(testUUID); err != nil || u[0] != 0x0b || u[15] != 0x4c {
		t.Errorf("parseUUID: %x %v", u, err)
	}
	for _, bad := range []string{"0b1f4b4e7d0a4f2e9c596f0d1e2a3b4c", "0b1f4b4e-7d0a-4f2e-9c59-6f0d1e2a3b4", "00000000-0000-0000-0000-000000000000", "0b1f4b4e-7d0a-4f2e-9c5g-6f0d1e2a3b4c"} {
		if _, err := parseUUID(bad); err == nil {
			t.Errorf("parseUUID(%q) accepted", bad)
		}
	}
}
