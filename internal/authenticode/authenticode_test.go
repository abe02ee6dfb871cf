package authenticode

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"debug/pe"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goauth "github.com/foxboron/go-uefi/authenticode"

	"github.com/plinth-os/plinth/internal/testcert"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/uki"
)

// debianStub is systemd-stub from the systemd-boot-efi package.
const debianStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

var signingTime = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	pem  string // path of the certificate in PEM
}

// newKeyPair makes a self-signed code signing certificate like a Secure
// Boot db key's, valid around signingTime and today.
func newKeyPair(t *testing.T, cn string) *keyPair {
	t.Helper()
	p := testcert.Must(t, cn, testcert.Options{NotBefore: signingTime.AddDate(-1, 0, 0), NotAfter: time.Now().AddDate(10, 0, 0),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}})
	key, cert, der := p.Key, p.Cert, p.Cert.Raw
	path := filepath.Join(t.TempDir(), cn+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &keyPair{key, cert, path}
}

// images returns the real stub and a UKI built on it: the PEs Plinth signs.
func images(t *testing.T) map[string][]byte {
	t.Helper()
	stub, err := os.ReadFile(debianStub)
	if err != nil {
		t.Fatalf("systemd-stub is required for this test (apt-get install -y systemd-boot-efi): %v", err)
	}
	kernel := bytes.Repeat([]byte("not a kernel "), 40000)
	u, err := uki.Image{
		OSRelease: uki.OSRelease("Test", "test", "1"),
		Cmdline:   "console=ttyS0",
		Uname:     "6.1.0",
		Linux:     kernel,
		Initrd:    kernel[:12345],
	}.Build(stub)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"stub": stub, "uki": u}
}

func sign(t *testing.T, img []byte, kp *keyPair) []byte {
	t.Helper()
	out, err := Sign(img, kp.key, kp.cert, signingTime)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// externalVerify runs sbverify and osslsigncode on img and returns whether
// each accepted it; osslsigncode must also find the PE checksum right.
// Only -CAfile and -in are passed to osslsigncode: Debian 12's 2.5 and
// later versions all know them.
func externalVerify(t *testing.T, img []byte, kp *keyPair) (sbverify, osslsigncode bool) {
	t.Helper()
	p := writeTemp(t, "image.efi", img)
	out, code := testdisk.RunExit(t, testdisk.Tool(t, "sbverify"), "--cert", kp.pem, p)
	sbverify = code == 0 && strings.Contains(out, "Signature verification OK")
	t.Logf("sbverify exit %d:\n%s", code, out)
	out, code = testdisk.RunExit(t, testdisk.Tool(t, "osslsigncode"), "verify", "-CAfile", kp.pem, "-in", p)
	osslsigncode = code == 0 && strings.Contains(out, "Signature verification: ok") && !strings.Contains(out, "invalid PE checksum")
	t.Logf("osslsigncode exit %d:\n%s", code, out)
	return sbverify, osslsigncode
}

func TestSignAcceptedByTools(t *testing.T) {
	kp := newKeyPair(t, "db")
	for name, img := range images(t) {
		t.Run(name, func(t *testing.T) {
			signed := sign(t, img, kp)
			if sb, ossl := externalVerify(t, signed, kp); !sb || !ossl {
				t.Fatalf("sbverify ok %v, osslsigncode ok %v; want both", sb, ossl)
			}
			if err := Verify(signed, kp.cert); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			bin, err := goauth.Parse(bytes.NewReader(signed))
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := bin.Verify(kp.cert); !ok || err != nil {
				t.Fatalf("go-uefi Verify = %v, %v", ok, err)
			}
		})
	}
}

func TestChangedByteRejected(t *testing.T) {
	kp := newKeyPair(t, "db")
	for name, img := range images(t) {
		t.Run(name, func(t *testing.T) {
			signed := sign(t, img, kp)
			f, err := pe.NewFile(bytes.NewReader(signed))
			if err != nil {
				t.Fatal(err)
			}
			text := f.Section(".text")
			signed[text.Offset+100] ^= 0x01
			if sb, ossl := externalVerify(t, signed, kp); sb || ossl {
				t.Errorf("changed image: sbverify ok %v, osslsigncode ok %v; want both to reject", sb, ossl)
			}
			if err := Verify(signed, kp.cert); err == nil || !strings.Contains(err.Error(), "image hash does not match") {
				t.Errorf("Verify = %v, want hash mismatch", err)
			}
		})
	}
}

func TestWrongCertificateRejected(t *testing.T) {
	kp, other := newKeyPair(t, "db"), newKeyPair(t, "other")
	signed := sign(t, images(t)["stub"], kp)
	if sb, ossl := externalVerify(t, signed, other); sb || ossl {
		t.Errorf("other CA: sbverify ok %v, osslsigncode ok %v; want both to reject", sb, ossl)
	}
	if err := Verify(signed, other.cert); err == nil {
		t.Error("Verify accepted a signature by an untrusted key")
	}
}

func TestReproducible(t *testing.T) {
	kp := newKeyPair(t, "db")
	img := images(t)["uki"]
	orig := bytes.Clone(img)
	a, b := sign(t, img, kp), sign(t, img, kp)
	if !bytes.Equal(a, b) {
		t.Fatal("signing the same image twice gave different bytes")
	}
	if !bytes.Equal(img, orig) {
		t.Fatal("Sign modified its input")
	}
	c, err := Sign(img, kp.key, kp.cert, signingTime.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Fatal("a different signing time gave the same bytes")
	}
}

// TestLayout checks what Sign writes around the signature, and that the
// sections, .sbat included, are untouched.
func TestLayout(t *testing.T) {
	kp := newKeyPair(t, "db")
	stub := images(t)["stub"]
	signed := sign(t, stub, kp)
	l, err := parseLayout(signed)
	if err != nil {
		t.Fatal(err)
	}
	start := align8(len(stub))
	size := int(binary.LittleEndian.Uint32(signed[l.certDir+4:]))
	dwLength := int(binary.LittleEndian.Uint32(signed[start:]))
	switch {
	case l.certStart != start || start+size != len(signed) || size%8 != 0:
		t.Errorf("certificate table at %#x size %d in %d bytes, want at %#x, 8-byte multiple", l.certStart, size, len(signed), start)
	case align8(dwLength) != size || binary.LittleEndian.Uint16(signed[start+4:]) != 0x0200 || binary.LittleEndian.Uint16(signed[start+6:]) != 0x0002:
		t.Errorf("WIN_CERTIFICATE header % x, table size %d", signed[start:start+8], size)
	case !bytes.Equal(signed[:l.checksum], stub[:l.checksum]) || !bytes.Equal(signed[l.certDir+8:len(stub)], stub[l.certDir+8:]):
		t.Error("bytes other than the checksum and the directory entry changed")
	}
	checkSbat(t, stub, signed)
}

func checkSbat(t *testing.T, stub, signed []byte) {
	t.Helper()
	sectionData := func(b []byte) []byte {
		f, err := pe.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		s := f.Section(".sbat")
		if s == nil {
			t.Fatal("no .sbat section")
		}
		d, err := s.Data()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if !bytes.Equal(sectionData(stub), sectionData(signed)) {
		t.Error(".sbat changed")
	}
	out := testdisk.Run(t, testdisk.Tool(t, "objdump"), "-h", writeTemp(t, "signed.efi", signed))
	if !strings.Contains(out, " .sbat ") {
		t.Errorf("objdump -h does not list .sbat:\n%s", out)
	}
}

// TestChecksumMatchesTools checks putChecksum against the checksums
// osslsigncode and sbsign store in the images they sign.
func TestChecksumMatchesTools(t *testing.T) {
	kp := newKeyPair(t, "db")
	key := writeTemp(t, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kp.key)}))
	in := writeTemp(t, "in.efi", images(t)["uki"])
	dir := t.TempDir()
	runs := map[string][]string{
		"osslsigncode": {"sign", "-certs", kp.pem, "-key", key, "-in", in, "-out", filepath.Join(dir, "osslsigncode.efi")},
		"sbsign":       {"--key", key, "--cert", kp.pem, "--output", filepath.Join(dir, "sbsign.efi"), in},
	}
	for tool, args := range runs {
		testdisk.Run(t, testdisk.Tool(t, tool), args...)
		b, err := os.ReadFile(filepath.Join(dir, tool+".efi"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := parseLayout(b)
		if err != nil {
			t.Fatalf("%s output: %v", tool, err)
		}
		want := binary.LittleEndian.Uint32(b[l.checksum:])
		l.putChecksum(b)
		if got := binary.LittleEndian.Uint32(b[l.checksum:]); got != want {
			t.Errorf("%s stored checksum %#x, we compute %#x", tool, want, got)
		}
	}
}

func TestAlreadySigned(t *testing.T) {
	kp, other := newKeyPair(t, "db"), newKeyPair(t, "other")
	img := images(t)["uki"]
	signed := sign(t, img, kp)
	if _, err := Sign(signed, other.key, other.cert, signingTime); !errors.Is(err, ErrSigned) {
		t.Fatalf("Sign(signed) = %v, want ErrSigned", err)
	}
	bare, err := Unsign(signed)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(bare, kp.cert); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("Verify(Unsign(signed)) = %v, want ErrNotSigned", err)
	}
	again, err := Unsign(bare)
	if err != nil || !bytes.Equal(again, bare) {
		t.Fatalf("Unsign of an unsigned image changed it (err %v)", err)
	}
	resigned := sign(t, bare, other)
	if err := Verify(resigned, other.cert); err != nil {
		t.Fatalf("re-signed: %v", err)
	}
	if err := Verify(resigned, kp.cert); err == nil {
		t.Fatal("re-signed image still verifies with the old key")
	}
	if !bytes.Equal(resigned, sign(t, img, other)) {
		t.Fatal("Sign(Unsign(Sign(x, a)), b) differs from Sign(x, b)")
	}
}

func TestCheckSections(t *testing.T) {
	sec := func(name string, off, size uint32) *pe.Section {
		return &pe.Section{SectionHeader: pe.SectionHeader{Name: name, Offset: off, Size: size}}
	}
	tests := []struct {
		name     string
		sections []*pe.Section
		end      int64
		want     string
	}{
		{"contiguous, out of order, empty bss", []*pe.Section{sec(".data", 0x600, 0x200), sec(".bss", 0, 0), sec(".text", 0x400, 0x200)}, 0x800, ""},
		{"trailing data", []*pe.Section{sec(".text", 0x400, 0x200)}, 0x1000, ""},
		{"gap", []*pe.Section{sec(".text", 0x400, 0x200), sec(".data", 0x800, 0x200)}, 0x1000, "not contiguous"},
		{"overlap", []*pe.Section{sec(".text", 0x400, 0x200), sec(".data", 0x500, 0x200)}, 0x1000, "not contiguous"},
		{"gap after headers", []*pe.Section{sec(".text", 0x600, 0x200)}, 0x1000, "not contiguous"},
		{"past the end", []*pe.Section{sec(".text", 0x400, 0x200)}, 0x500, "past the image end"},
	}
	for _, tt := range tests {
		err := checkSections(tt.sections, 0x400, tt.end)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: checkSections = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestRejectsMalformed(t *testing.T) {
	kp := newKeyPair(t, "db")
	signed := sign(t, images(t)["stub"], kp)
	l, err := parseLayout(signed)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		img  []byte
		want string
	}{
		{"not a PE", []byte("MZ this is not a PE image at all, just some text"), "parse PE"},
		{"table not at the end", append(bytes.Clone(signed), 0, 0, 0, 0, 0, 0, 0, 0), "does not end"},
		{"bad WIN_CERTIFICATE", func() []byte { b := bytes.Clone(signed); b[l.certStart+4] = 0x01; return b }(), "revision"},
	}
	for _, tt := range tests {
		if err := Verify(tt.img, kp.cert); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Verify = %v, want error containing %q", tt.name, err, tt.want)
		}
	}
	if err := Verify(signed); err == nil {
		t.Error("Verify with no roots succeeded")
	}
}
