package guid

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", false},
		{"{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", false},
		{"c12a7328f81f11d2ba4b00a0c93ec93b", "", true},
		{"c12a7328-f81f-11d2-ba4b-00a0c93ec93", "", true},
		{"g12a7328-f81f-11d2-ba4b-00a0c93ec93b", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		g, err := Parse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && g.String() != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, g.String(), tt.want)
		}
	}
}

// TestMixedLayout checks the on-disk layout against EFI_GLOBAL_VARIABLE as
// the UEFI specification and every efivarfs print it.
func TestMixedLayout(t *testing.T) {
	g := MustParse("8be4df61-93ca-11d2-aa0d-00e098032b8c")
	want := []byte{0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c}
	m := g.Mixed()
	if !bytes.Equal(m[:], want) {
		t.Fatalf("Mixed = % x, want % x", m, want)
	}
	if FromMixed(want) != g {
		t.Fatalf("FromMixed = %v, want %v", FromMixed(want), g)
	}
	if FromBytes(g[:]) != g || FromBytes(want) == g {
		t.Fatalf("FromBytes reads text order: %v", FromBytes(want))
	}
	if g.Upper() != "8BE4DF61-93CA-11D2-AA0D-00E098032B8C" {
		t.Fatalf("Upper = %s", g.Upper())
	}
}

func TestRandomAndDerive(t *testing.T) {
	a, b := Random(), Random()
	if a == b || a.IsZero() {
		t.Fatalf("Random gave %v and %v", a, b)
	}
	if a[6]>>4 != 4 || a[8]>>6 != 2 {
		t.Fatalf("Random %v is not version 4, RFC 4122 variant", a)
	}
	d1, d2 := Derive("disk", []byte("seed")), Derive("disk", []byte("seed"))
	if d1 != d2 {
		t.Fatalf("Derive not deterministic: %v %v", d1, d2)
	}
	if Derive("esp", []byte("seed")) == d1 || Derive("disk", []byte("other")) == d1 {
		t.Fatal("Derive ignores its label or seed")
	}
}

func TestJSON(t *testing.T) {
	g := MustParse("0fc63daf-8483-4772-8e79-3d69d8477de4")
	b, err := json.Marshal(struct{ G GUID }{g})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"G":"0fc63daf-8483-4772-8e79-3d69d8477de4"}` {
		t.Fatalf("marshal = %s", b)
	}
	var back struct{ G GUID }
	if err := json.Unmarshal(b, &back); err != nil || back.G != g {
		t.Fatalf("unmarshal = %v, %v", back.G, err)
	}
	if err := json.Unmarshal([]byte(`{"G":"nope"}`), &back); err == nil {
		t.Fatal("unmarshal of a bad GUID succeeded")
	}
}
