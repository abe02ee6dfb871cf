package gpt

import (
	"bytes"
	"testing"
)

func TestGUIDDiskLayout(t *testing.T) {
	// The UEFI spec's mixed endianness, checked against the known on-disk
	// bytes of the ESP type.
	want := []byte{0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B}
	g, err := ParseGUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
	if err != nil {
		t.Fatal(err)
	}
	var b [16]byte
	g.putDisk(b[:])
	if !bytes.Equal(b[:], want) {
		t.Errorf("on disk: % X, want % X", b, want)
	}
	if back := guidFromDisk(want); back != g || back != TypeESP {
		t.Errorf("from disk: %s, want %s", back, g)
	}
}

func TestParseGUID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", true},
		{"{0FC63DAF-8483-4772-8E79-3D69D8477DE4}", "0FC63DAF-8483-4772-8E79-3D69D8477DE4", true},
		{"C12A7328F81F11D2BA4B00A0C93EC93B", "", false},
		{"C12A7328-F81F-11D2-BA4B-00A0C93EC93", "", false},
		{"G12A7328-F81F-11D2-BA4B-00A0C93EC93B", "", false},
		{"C12A7328-F81F-11D2+BA4B-00A0C93EC93B", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		g, err := ParseGUID(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseGUID(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && g.String() != tc.want {
			t.Errorf("ParseGUID(%q) = %s, want %s", tc.in, g, tc.want)
		}
	}
}

func TestRandomGUID(t *testing.T) {
	a, b := RandomGUID(), RandomGUID()
	if a == b || a.IsZero() {
		t.Fatalf("RandomGUID gave %s and %s", a, b)
	}
	if a[6]>>4 != 4 || a[8]>>6 != 2 {
		t.Errorf("%s is not a version 4 RFC 4122 GUID", a)
	}
}
