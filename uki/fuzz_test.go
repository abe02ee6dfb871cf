package uki

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and, as a stub, to Build: neither
// may panic, and whatever Build accepts must read back correctly.
func FuzzParse(f *testing.F) {
	stub := readStub(f)
	f.Add(stub)
	if out, err := Build(stub, []Section{{".linux", []byte("kernel")}, {".empty", nil}}); err == nil {
		f.Add(out)
	}
	for _, o := range []testPE{{}, {pe32: true}, {debug: true, cert: true, symbols: true}} {
		f.Add(o.build())
	}
	f.Add(stub[:0x400])
	f.Add([]byte("MZ"))
	f.Add([]byte{})

	payload := []byte("payload")
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		_, perr := Parse(b)
		out, err := Build(b, []Section{{".fz", payload}, {".nil", nil}})
		if !bytes.Equal(b, orig) {
			t.Fatal("input modified")
		}
		if err != nil {
			return
		}
		if got := peChecksumOf(t, out); got != refChecksum(out) {
			t.Fatalf("checksum %#x, want %#x", got, refChecksum(out))
		}
		if perr != nil {
			return // e.g. duplicate names already in the input
		}
		m, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Build(b)) failed: %v", err)
		}
		if !bytes.Equal(m[".fz"], payload) {
			t.Fatalf("payload read back as %q", m[".fz"])
		}
		if e, ok := m[".nil"]; !ok || len(e) != 0 {
			t.Fatalf(".nil read back as %q (present %v)", e, ok)
		}
	})
}

func peChecksumOf(t *testing.T, b []byte) uint32 {
	p, err := parsePE(b)
	if err != nil {
		t.Fatalf("Build output does not parse: %v", err)
	}
	return p.opt32(ohCheckSum)
}
