package gpt

import (
	"bytes"
	"testing"
)

func TestCHS(t *testing.T) {
	tests := []struct {
		lba  uint64
		want []byte
	}{
		{1, []byte{0x00, 0x02, 0x00}},
		{2097151, []byte{0x8A, 0x08, 0x82}}, // sgdisk's bytes for an 8 GiB 4Kn disk
		{16450559, []byte{0xFE, 0xFF, 0xFF}},
		{16450560, []byte{0xFF, 0xFF, 0xFF}},
	}
	for _, tc := range tests {
		if got := chs(tc.lba); !bytes.Equal(got, tc.want) {
			t.Errorf("chs(%d) = % X, want % X", tc.lba, got, tc.want)
		}
	}
}
