package main

import (
	"testing"
)

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
