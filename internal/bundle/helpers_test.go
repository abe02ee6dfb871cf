package bundle

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/pkcs7sign"
	"github.com/plinth-os/plinth/internal/testcert"
)

var testBuilt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// testKeys are made once per test binary: RSA key generation is slow.
// "vendor" is the product's update key, "ca" a vendor CA that issued
// "leaf", "other" a stranger's key.
var testKeys = sync.OnceValue(func() map[string]*keyPair {
	keys := map[string]*keyPair{}
	keys["vendor"] = newKeyPair("Acme Updates", nil)
	keys["ca"] = newKeyPair("Acme Update CA", nil)
	keys["leaf"] = newKeyPair("Acme Updates 2025", keys["ca"])
	keys["other"] = newKeyPair("Mallory", nil)
	return keys
})

func key(name string) *keyPair { return testKeys()[name] }

// newKeyPair makes an RSA-2048 key and a certificate for it, valid from
// 2020 to 2100 so that openssl accepts it today; self-signed when parent
// is nil.
func newKeyPair(cn string, parent *keyPair) *keyPair {
	o := testcert.Options{NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), CA: true}
	if parent != nil {
		o.Parent = &testcert.Pair{Key: parent.key, Cert: parent.cert}
	}
	p, err := testcert.New(cn, o)
	if err != nil {
		panic(err)
	}
	return &keyPair{p.Key, p.Cert}
}

func trusted(names ...string) []*x509.Certificate {
	var certs []*x509.Certificate
	for _, n := range names {
		certs = append(certs, key(n).cert)
	}
	return certs
}

// testData returns n bytes that differ from offset to offset, seeded so
// that two parts differ.
func testData(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31+i>>8) ^ seed
	}
	return b
}

// sample is a bundle's inputs.
type sample struct {
	m     Manifest
	names []string
	data  [][]byte
}

func newSample() sample {
	return sample{
		m:     Manifest{Product: "Acme DB", Version: "v1.4.2", Built: testBuilt, MinVersion: "v1.2.0"},
		names: []string{PartRuntime, "extra.bin", "empty"},
		data:  [][]byte{testData(1, 3000), testData(2, 100), {}},
	}
}

func (s sample) parts() []Part {
	parts := make([]Part, len(s.names))
	for i, n := range s.names {
		parts[i] = Part{Name: n, Size: int64(len(s.data[i])), Data: bytes.NewReader(s.data[i])}
	}
	return parts
}

// write writes the sample signed by the key named signer.
func (s sample) write(t *testing.T, signer string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, s.m, s.parts(), key(signer).key, key(signer).cert); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layout is where the sections of a bundle are, read from its header the
// way the package documentation describes it.
type layout struct {
	manifest, sig, parts int // offsets
	end                  int
}

func parseLayout(t *testing.T, b []byte) layout {
	t.Helper()
	if len(b) < 24 || string(b[:8]) != "PLBUNDLE" || binary.BigEndian.Uint32(b[8:]) != 1 {
		t.Fatalf("bundle starts %q", b[:min(len(b), 24)])
	}
	if binary.BigEndian.Uint32(b[20:]) != crc32.ChecksumIEEE(b[:20]) {
		t.Fatal("header CRC-32 does not match")
	}
	m, s := int(binary.BigEndian.Uint32(b[12:])), int(binary.BigEndian.Uint32(b[16:]))
	return layout{manifest: 24, sig: 24 + m, parts: 24 + m + s, end: len(b)}
}

// craft builds a bundle around manifest bytes signed as they are, so that
// tests can give readers well-signed manifests that break the rules.
func craft(t *testing.T, manifest []byte, parts ...[]byte) []byte {
	t.Helper()
	sig, err := pkcs7sign.Sign(pkcs7sign.Data(manifest), key("vendor").key, key("vendor").cert, pkcs7sign.Options{SigningTime: testBuilt, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	b := append(header(len(manifest), len(sig)), manifest...)
	b = append(b, sig...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// readAll opens r (b when nil), trusting the vendor key, and extracts
// every part into memory. It returns the parts and the first error.
func readAll(b []byte, r io.Reader) (map[string]*stagingFile, error) {
	if r == nil {
		r = bytes.NewReader(b)
	}
	br, err := Open(r, trusted("vendor"))
	if err != nil {
		return nil, err
	}
	got := map[string]*stagingFile{}
	err = br.Extract(func(p PartInfo) (io.WriteCloser, error) {
		got[p.Name] = &stagingFile{}
		return got[p.Name], nil
	})
	return got, err
}

// stagingFile is a staging file in memory that can be made to fail.
type stagingFile struct {
	bytes.Buffer
	closed             bool
	writeErr, closeErr error
}

func (f *stagingFile) Write(p []byte) (int, error) {
	if f.writeErr != nil {
		return 0, f.writeErr
	}
	return f.Buffer.Write(p)
}

func (f *stagingFile) Close() error { f.closed = true; return f.closeErr }

// wantErr checks that err is of kind and contains want.
func wantErr(t *testing.T, what string, err, kind error, want string) {
	t.Helper()
	if err == nil || !errors.Is(err, kind) || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want %v containing %q", what, err, kind, want)
	}
}
