package ovmfvars

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
)

// testVar is a variable as the synthetic images below store it.
type testVar struct {
	name   string
	vendor guid.GUID
	state  byte
	data   []byte
}

const (
	testFVHeaderLen = 0x48
	testStoreSize   = 0x1000
)

// image builds a VARS image in EDK2's layout: firmware volume header,
// authenticated variable store header, variables, erased space.
func image(vars ...testVar) []byte {
	b := bytes.Repeat([]byte{0xff}, testFVHeaderLen+testStoreSize+0x100)
	copy(b[:16], make([]byte, 16))
	copy(b[fvSignatureOff:], fvSignature)
	binary.LittleEndian.PutUint16(b[fvHeaderLenOff:], testFVHeaderLen)
	s := b[testFVHeaderLen:]
	guid.MustParse(authenticatedStore).PutMixed(s)
	binary.LittleEndian.PutUint32(s[16:], testStoreSize)
	s[20], s[21] = storeFormatted, storeHealthy
	copy(s[22:28], make([]byte, 6))
	off := storeHeaderSize
	for _, v := range vars {
		off = putVar(s, off, v)
	}
	return b
}

func putVar(s []byte, off int, v testVar) int {
	name := utf16.Encode([]rune(v.name + "\x00"))
	h := make([]byte, authHeaderSize)
	binary.LittleEndian.PutUint16(h, varStartID)
	h[2] = v.state
	binary.LittleEndian.PutUint32(h[4:], 0x27)
	binary.LittleEndian.PutUint32(h[36:], uint32(2*len(name)))
	binary.LittleEndian.PutUint32(h[40:], uint32(len(v.data)))
	v.vendor.PutMixed(h[44:])
	off += copy(s[off:], h)
	for _, c := range name {
		binary.LittleEndian.PutUint16(s[off:], c)
		off += 2
	}
	off += copy(s[off:], v.data)
	return (off + 3) &^ 3
}

func TestParse(t *testing.T) {
	vendor := guid.MustParse("01234567-89ab-cdef-0123-456789abcdef")
	img := image(
		testVar{"Old", vendor, 0x3c, []byte("deleted")},
		testVar{"Boot0000", efivar.GlobalVariable, varAdded, []byte("abc")},
		testVar{"Grüße", vendor, varAddedInTransition, []byte{1, 2, 3, 4, 5}},
		testVar{"Header only", vendor, 0x7f, nil},
		testVar{"Empty", vendor, varAdded, nil},
	)
	vars, err := Parse(img)
	if err != nil {
		t.Fatal(err)
	}
	want := []Variable{
		{Name: "Boot0000", Vendor: efivar.GlobalVariable, Attributes: 0x27, Data: []byte("abc")},
		{Name: "Grüße", Vendor: vendor, Attributes: 0x27, Data: []byte{1, 2, 3, 4, 5}},
		{Name: "Empty", Vendor: vendor, Attributes: 0x27, Data: []byte{}},
	}
	if len(vars) != len(want) {
		t.Fatalf("Parse found %d live variables %v, want %d", len(vars), vars, len(want))
	}
	for i, v := range vars {
		w := want[i]
		if v.Name != w.Name || v.Vendor != w.Vendor || v.Attributes != w.Attributes || !bytes.Equal(v.Data, w.Data) {
			t.Errorf("variable %d = %+v, want %+v", i, v, w)
		}
	}
	if _, err := Lookup(vars, "Grüße", vendor); err != nil {
		t.Error(err)
	}
	if _, err := Lookup(vars, "Old", vendor); err == nil || !strings.Contains(err.Error(), "0 live variables Old-01234567") {
		t.Errorf("Lookup of a deleted variable: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(b []byte) []byte
		want   string
	}{
		{"no firmware volume", func(b []byte) []byte { b[fvSignatureOff] = 'x'; return b }, `no firmware volume header ("_FVH" signature)`},
		{"short", func(b []byte) []byte { return b[:20] }, "no firmware volume header"},
		{"header length past the end", func(b []byte) []byte { binary.LittleEndian.PutUint16(b[fvHeaderLenOff:], 0xfff0); return b }, "header length 65520 is past the end"},
		{"other store", func(b []byte) []byte { b[testFVHeaderLen] ^= 1; return b }, "variable store signature"},
		{"not healthy", func(b []byte) []byte { b[testFVHeaderLen+21] = 0xff; return b }, "not formatted and healthy"},
		{"store too big", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[testFVHeaderLen+16:], 1<<20)
			return b
		}, "store size 1048576 does not fit"},
		{"variable past the store", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[testFVHeaderLen+storeHeaderSize+40:], testStoreSize)
			return b
		}, "variable at store offset 0x1c (name 4 bytes, data 4096 bytes) runs past the store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.change(image(testVar{"A", efivar.GlobalVariable, varAdded, []byte("x")})))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want %q", err, tc.want)
			}
		})
	}
}

// signatureList encodes one EFI_SIGNATURE_LIST of X.509 certificates.
func signatureList(t *testing.T, owner guid.GUID, cert []byte) []byte {
	t.Helper()
	b, err := efivar.EncodeSignatureList(efivar.SignatureList{Type: efivar.CertX509, Signatures: []efivar.SignatureData{{Owner: owner, Data: cert}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testCert(t *testing.T, cn string, notBefore time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestFileName(t *testing.T) {
	day := time.Date(2023, 3, 2, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)) // 2023-03-03 in UTC
	tests := []struct{ cn, want string }{
		{"Microsoft Corporation KEK CA 2011", "MicCorKEKCA2011_2023-03-03.der"},
		{"Microsoft Windows Production PCA 2011", "MicWinProPCA2011_2023-03-03.der"},
		{"Microsoft Corporation UEFI CA 2011", "MicCorUEFCA2011_2023-03-03.der"},
		{"Microsoft Corporation KEK 2K CA 2023", "MicCorKEK2KCA2023_2023-03-03.der"},
		{"Microsoft Option ROM UEFI CA 2023", "MicOptROMUEFCA2023_2023-03-03.der"},
		{"Windows UEFI CA 2023", "WinUEFCA2023_2023-03-03.der"},
	}
	for _, tc := range tests {
		c, err := x509.ParseCertificate(testCert(t, tc.cn, day))
		if err != nil {
			t.Fatal(err)
		}
		if got := FileName(c); got != tc.want {
			t.Errorf("FileName(%q) = %q, want %q", tc.cn, got, tc.want)
		}
	}
}

// TestMicrosoftCertificates keeps only Microsoft's X.509 entries.
func TestMicrosoftCertificates(t *testing.T) {
	day := time.Date(2011, 6, 24, 20, 41, 29, 0, time.UTC)
	ms, vendor := testCert(t, "Microsoft Corporation KEK CA 2011", day), testCert(t, "Vendor KEK", day)
	other := guid.MustParse("a0baa8a3-041d-48a8-bc87-c36d121b5e3d")
	kek := append(signatureList(t, other, vendor), signatureList(t, MicrosoftOwner(), ms)...)
	db := signatureList(t, MicrosoftOwner(), testCert(t, "Microsoft Corporation UEFI CA 2011", day))
	files, err := MicrosoftCertificates(image(
		testVar{"KEK", efivar.GlobalVariable, varAdded, kek},
		testVar{"db", efivar.ImageSecurityDatabase, varAdded, db},
		testVar{"KEK", efivar.ImageSecurityDatabase, varAdded, signatureList(t, MicrosoftOwner(), vendor)},
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Var != "KEK" || files[0].Name != "MicCorKEKCA2011_2011-06-24.der" || !bytes.Equal(files[0].DER, ms) ||
		files[1].Var != "db" || files[1].Name != "MicCorUEFCA2011_2011-06-24.der" {
		t.Errorf("MicrosoftCertificates = %+v", files)
	}
	_, err = MicrosoftCertificates(image(
		testVar{"KEK", efivar.GlobalVariable, varAdded, kek},
		testVar{"db", efivar.ImageSecurityDatabase, varAdded, signatureList(t, other, vendor)},
	))
	if err == nil || !strings.Contains(err.Error(), "db holds no X.509 certificate owned by Microsoft") {
		t.Errorf("MicrosoftCertificates of a db without Microsoft's: %v", err)
	}
}
