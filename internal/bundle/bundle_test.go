package bundle

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
	"time"
)

func TestRoundTrip(t *testing.T) {
	s := newSample()
	b := s.write(t, "vendor")
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
		{"EOF with the last data", iotest.DataErrReader},
	}
	for _, rt := range readers {
		t.Run(rt.name, func(t *testing.T) {
			br, err := Open(rt.wrap(bytes.NewReader(b)), trusted("other", "vendor"))
			if err != nil {
				t.Fatal(err)
			}
			checkManifest(t, br.Manifest(), s)
			if !br.Signer().Equal(key("vendor").cert) {
				t.Errorf("signer %s", br.Signer().Subject)
			}
			readParts(t, br, s)
		})
	}
}

func checkManifest(t *testing.T, m *Manifest, s sample) {
	t.Helper()
	if m.Format != FormatVersion || m.Product != s.m.Product || m.Version != s.m.Version ||
		!m.Built.Equal(s.m.Built) || m.MinVersion != s.m.MinVersion || len(m.Parts) != len(s.names) {
		t.Fatalf("manifest %+v", m)
	}
	for i, p := range m.Parts {
		want := PartInfo{Name: s.names[i], Size: int64(len(s.data[i])), SHA256: sha256.Sum256(s.data[i])}
		if p != want {
			t.Errorf("part %d: %+v, want %+v", i, p, want)
		}
	}
}

// readParts reads every part with Next and compares it with the sample.
func readParts(t *testing.T, br *Reader, s sample) {
	t.Helper()
	for i, name := range s.names {
		info, r, err := br.Next()
		if err != nil || info.Name != name {
			t.Fatalf("Next %d: %+v, %v", i, info, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, s.data[i]) {
			t.Fatalf("part %s: %d bytes, %v", name, len(got), err)
		}
	}
	for range 2 {
		if _, _, err := br.Next(); err != io.EOF {
			t.Fatalf("Next after the last part: %v, want io.EOF", err)
		}
	}
}

func TestExtract(t *testing.T) {
	s := newSample()
	got, err := readAll(s.write(t, "vendor"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range s.names {
		if f := got[name]; f == nil || !f.closed || !bytes.Equal(f.Bytes(), s.data[i]) {
			t.Errorf("part %s: %+v", name, f)
		}
	}
}

// TestTrustChain: a bundle signed by a key that a trusted CA issued is
// trusted, so a vendor can trust a CA and rotate signing keys under it.
func TestTrustChain(t *testing.T) {
	b := newSample().write(t, "leaf")
	if _, err := Open(bytes.NewReader(b), trusted("ca")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(bytes.NewReader(b), trusted("vendor"))
	wantErr(t, "leaf, vendor trusted", err, ErrUntrusted, "signed by CN=Acme Updates 2025, which this appliance does not trust (it trusts CN=Acme Updates)")
}

// TestLayout reads a bundle byte by byte as the package documentation
// describes it.
func TestLayout(t *testing.T) {
	s := newSample()
	b := s.write(t, "vendor")
	l := parseLayout(t, b)
	manifest := fmt.Sprintf(`{
  "format": 1,
  "product": "Acme DB",
  "version": "v1.4.2",
  "built": "2025-03-04T05:06:07Z",
  "minVersion": "v1.2.0",
  "parts": [
    {
      "name": "runtime.efi",
      "size": 3000,
      "sha256": "%x"
    },
    {
      "name": "extra.bin",
      "size": 100,
      "sha256": "%x"
    },
    {
      "name": "empty",
      "size": 0,
      "sha256": "%x"
    }
  ]
}
`, sha256.Sum256(s.data[0]), sha256.Sum256(s.data[1]), sha256.Sum256(nil))
	if got := string(b[l.manifest:l.sig]); got != manifest {
		t.Errorf("manifest:\n%s\nwant:\n%s", got, manifest)
	}
	if b[l.sig] != 0x30 {
		t.Errorf("signature starts with %#x, want a DER SEQUENCE", b[l.sig])
	}
	if got, want := b[l.parts:], bytes.Join(s.data, nil); !bytes.Equal(got, want) {
		t.Errorf("parts: %d bytes, want the %d bytes of the parts in order", len(got), len(want))
	}
}

func TestDeterministic(t *testing.T) {
	s := newSample()
	a, b := s.write(t, "vendor"), s.write(t, "vendor")
	if !bytes.Equal(a, b) {
		t.Fatal("same inputs gave different bytes")
	}
	// The build time is stored in UTC to the second: another zone or a
	// fraction of a second is the same bundle.
	s.m.Built = testBuilt.In(time.FixedZone("X", 3600)).Add(time.Millisecond)
	if !bytes.Equal(a, s.write(t, "vendor")) {
		t.Fatal("the same build time in another zone gave other bytes")
	}
	s.m.Built = testBuilt.Add(time.Second)
	if bytes.Equal(a, s.write(t, "vendor")) {
		t.Fatal("another build time gave the same bytes")
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ product, version, want string }{
		{"Acme DB", "v1.4.2", "acme-db-v1.4.2.plinth"},
		{"etcd", "3.5.17-1+build.7", "etcd-3.5.17-1+build.7.plinth"},
		{"Ünïcode / Thing", "v2 beta", "n-code-thing-v2-beta.plinth"},
		{"...", "1/2", "bundle-1-2.plinth"},
	}
	for _, tt := range tests {
		if got := FileName(tt.product, tt.version); got != tt.want {
			t.Errorf("FileName(%q, %q) = %q, want %q", tt.product, tt.version, got, tt.want)
		}
	}
}
