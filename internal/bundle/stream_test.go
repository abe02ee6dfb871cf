package bundle

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// pattern is size bytes computed from their offset: a large part that
// occupies no memory.
type pattern struct{}

func (pattern) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		x := uint64(off) + uint64(i)
		p[i] = byte(x ^ x>>11 ^ x>>23)
	}
	return len(p), nil
}

// counter counts and hashes what is written to it.
type counter struct {
	n int64
	h io.Writer
}

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// TestLargePartStreams writes a 64 MiB part through a pipe into a reader
// that copies it out, and checks that neither side held it in memory.
func TestLargePartStreams(t *testing.T) {
	const size = 64 << 20
	m := newSample().m
	parts := []Part{{Name: PartRuntime, Size: size, Data: pattern{}}}
	want := sha256.New()
	if _, err := io.Copy(want, io.NewSectionReader(pattern{}, 0, size)); err != nil {
		t.Fatal(err)
	}

	signer, roots := key("vendor"), trusted("vendor") // made before measuring

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(Write(pw, m, parts, signer.key, signer.cert)) }()
	h := sha256.New()
	got := &counter{h: h}
	br, err := Open(pr, roots)
	if err != nil {
		t.Fatal(err)
	}
	err = br.Extract(func(PartInfo) (io.WriteCloser, error) { return nopCloser{got}, nil })
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got.n != size || string(h.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatalf("copied %d bytes, SHA-256 %x", got.n, h.Sum(nil))
	}
	// Writing hashes the part, then copies it; reading copies it: three
	// passes over 64 MiB with 32 KiB buffers.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Fatalf("allocated %d bytes streaming a %d-byte part", alloc, size)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// TestOpenSSLVerifies checks the signature with OpenSSL, from the bytes
// the package documentation says hold the manifest and the signature: it
// is standard CMS.
func TestOpenSSLVerifies(t *testing.T) {
	openssl := testdisk.Tool(t, "openssl")
	b := newSample().write(t, "vendor")
	l := parseLayout(t, b)
	dir := t.TempDir()
	files := map[string][]byte{
		"manifest.json": b[l.manifest:l.sig],
		"signature.der": b[l.sig:l.parts],
		"update.der":    key("vendor").cert.Raw,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	testdisk.Run(t, openssl, "x509", "-inform", "DER", "-in", p("update.der"), "-out", p("update.crt"))
	verify := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", p("signature.der"),
		"-content", p("manifest.json"), "-CAfile", p("update.crt"), "-purpose", "any", "-out", p("out")}
	testdisk.Run(t, openssl, verify...)
	if out, _ := os.ReadFile(p("out")); string(out) != string(files["manifest.json"]) {
		t.Fatalf("openssl output %q", out)
	}

	// And OpenSSL refuses a changed manifest.
	changed := append([]byte(nil), files["manifest.json"]...)
	changed[10] ^= 1
	if err := os.WriteFile(p("manifest.json"), changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := testdisk.RunExit(t, openssl, verify...); code == 0 {
		t.Fatalf("openssl accepted a changed manifest:\n%s", out)
	}
}
