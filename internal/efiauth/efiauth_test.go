package efiauth

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/foxboron/go-uefi/efi/signature"
	"github.com/foxboron/go-uefi/pkcs7"

	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/pkcs7sign"
	"github.com/plinth-os/plinth/internal/testcert"
	"github.com/plinth-os/plinth/internal/testdisk"
)

var (
	owner     = guid.MustParse("6b5f3a1c-2d4e-4f60-8a71-92b3c4d5e6f7")
	msOwner   = guid.MustParse("77fa9abd-0359-4d32-bd60-28f4e78f784b")
	timestamp = time.Date(2025, 7, 8, 9, 10, 11, 999, time.UTC)
)

type testKey struct {
	KeyPair
	certPEM, keyPEM string // files
}

func newKey(t *testing.T, cn string) *testKey {
	t.Helper()
	p := testcert.Must(t, cn, testcert.Options{Organization: []string{strings.Repeat("x", len(cn))},
		NotBefore: timestamp.AddDate(-1, 0, 0), NotAfter: timestamp.AddDate(20, 0, 0)})
	key, cert, der := p.Key, p.Cert, p.Cert.Raw
	dir := t.TempDir()
	k := &testKey{KeyPair{key, cert}, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")}
	writeFile(t, k.certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, k.keyPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return k
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// efitoolsESL is cert-to-efi-sig-list's list for one certificate.
func efitoolsESL(t *testing.T, k *testKey, owner guid.GUID) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cert.esl")
	testdisk.Run(t, testdisk.Tool(t, "cert-to-efi-sig-list"), "-g", owner.String(), k.certPEM, out)
	return readFile(t, out)
}

// efitoolsAuth is sign-efi-sig-list's .auth for data written to v.
func efitoolsAuth(t *testing.T, v Variable, data []byte, signer *testKey) []byte {
	t.Helper()
	t.Setenv("TZ", "UTC")
	dir := t.TempDir()
	esl, out := filepath.Join(dir, "in.esl"), filepath.Join(dir, "out.auth")
	writeFile(t, esl, data)
	args := []string{"-t", timestamp.Format(time.DateTime), "-k", signer.keyPEM, "-c", signer.certPEM}
	if v.Append {
		args = append(args, "-a")
	}
	testdisk.Run(t, testdisk.Tool(t, "sign-efi-sig-list"), append(args, v.Name, esl, out)...)
	return readFile(t, out)
}

func TestCertListMatchesEfitools(t *testing.T) {
	a, b := newKey(t, "a"), newKey(t, "a much longer common name")
	if len(a.Cert.Raw) == len(b.Cert.Raw) {
		t.Fatal("test certificates should differ in size")
	}
	want := append(efitoolsESL(t, a, owner), efitoolsESL(t, b, owner)...)
	got := CertList(owner, a.Cert, b.Cert)
	if !bytes.Equal(got, want) {
		t.Fatalf("CertList differs from cert-to-efi-sig-list:\n got % x\nwant % x", got[:64], want[:64])
	}
	db, err := signature.ReadSignatureDatabase(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("go-uefi ReadSignatureDatabase: %v", err)
	}
	if len(db) != 2 {
		t.Fatalf("go-uefi reads %d lists, want 2", len(db))
	}
	for i, c := range []*x509.Certificate{a.Cert, b.Cert} {
		l := db[i]
		if l.SignatureType != signature.CERT_X509_GUID || len(l.Signatures) != 1 || !bytes.Equal(l.Signatures[0].Data, c.Raw) {
			t.Errorf("list %d: type %s, %d signatures", i, l.SignatureType.Format(), len(l.Signatures))
			continue
		}
		if got := l.Signatures[0].Owner.Format(); got != owner.String() {
			t.Errorf("list %d: owner %s, want %s", i, got, owner)
		}
	}
}

func TestVariables(t *testing.T) {
	tests := []struct {
		v      Variable
		vendor string
		attrs  uint32
	}{
		{PK(), "8be4df61-93ca-11d2-aa0d-00e098032b8c", 0x27},
		{KEK(), "8be4df61-93ca-11d2-aa0d-00e098032b8c", 0x27},
		{KEK().Appending(), "8be4df61-93ca-11d2-aa0d-00e098032b8c", 0x67},
		{DB().Appending(), "d719b2cb-3d3a-4596-a3bc-dad00e67656f", 0x67},
	}
	for _, tt := range tests {
		if tt.v.Vendor.String() != tt.vendor || tt.v.Attributes() != tt.attrs {
			t.Errorf("%s: vendor %s attributes %#x, want %s %#x", tt.v.Name, tt.v.Vendor, tt.v.Attributes(), tt.vendor, tt.attrs)
		}
	}
}

// signedBytes rebuilds what UEFI 2.10 section 8.2.2 says is signed,
// independently of the package.
func signedBytes(v Variable, stamp, data []byte) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(v.Name)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	m := v.Vendor.Mixed()
	b = append(b, m[:]...)
	b = binary.LittleEndian.AppendUint32(b, v.Attributes())
	return append(append(b, stamp...), data...)
}

// checkUpdate parses an .auth with go-uefi and checks its header, its data
// and its signature by signer.
func checkUpdate(t *testing.T, auth []byte, v Variable, wantData []byte, signer *x509.Certificate) {
	t.Helper()
	r := bytes.NewReader(auth)
	hdr, err := signature.ReadEFIVariableAuthencation2(r)
	if err != nil {
		t.Fatalf("go-uefi ReadEFIVariableAuthencation2: %v", err)
	}
	if got := hdr.Time.Format(); got != "2025-7-8 9:10:11:0" || hdr.Time.TimeZone != 0 || hdr.Time.Daylight != 0 {
		t.Errorf("EFI_TIME %s zone %d daylight %d", got, hdr.Time.TimeZone, hdr.Time.Daylight)
	}
	if hdr.AuthInfo.CertType != signature.EFI_CERT_TYPE_PKCS7_GUID {
		t.Errorf("CertType %s, want EFI_CERT_TYPE_PKCS7_GUID", hdr.AuthInfo.CertType.Format())
	}
	if data := auth[len(auth)-r.Len():]; !bytes.Equal(data, wantData) {
		t.Fatalf("data after the header differs (%d bytes, want %d)", len(data), len(wantData))
	}
	signed := signedBytes(v, auth[:16], wantData)
	checkGoUEFISignature(t, hdr.AuthInfo.CertData, signed, signer)
	s, err := pkcs7sign.Parse(hdr.AuthInfo.CertData)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(signed); err != nil {
		t.Errorf("signature over the section 8.2.2 bytes: %v", err)
	}
	if err := s.ChainsTo([]*x509.Certificate{signer}); err != nil {
		t.Error(err)
	}
}

// checkGoUEFISignature parses the PKCS#7 with go-uefi and checks its RSA
// signature over the digest of signed. go-uefi's own Verify cannot be
// used: it only handles signatures over authenticated attributes and
// panics (nil dereference) on variable signatures without them, ours and
// sign-efi-sig-list's alike.
func checkGoUEFISignature(t *testing.T, der, signed []byte, signer *x509.Certificate) {
	t.Helper()
	p, err := pkcs7.ParsePKCS7(der)
	if err != nil {
		t.Fatalf("go-uefi ParsePKCS7: %v", err)
	}
	if len(p.SignerInfo) != 1 || !p.HasCertificate(signer) || len(p.Certs) != 1 || !p.Certs[0].Equal(signer) {
		t.Fatalf("go-uefi: %d signers, certificate of %q embedded/named: %v", len(p.SignerInfo), signer.Subject, p.HasCertificate(signer))
	}
	digest := sha256.Sum256(signed)
	if err := rsa.VerifyPKCS1v15(signer.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], p.SignerInfo[0].EncryptedDigest); err != nil {
		t.Errorf("signature by %q: %v", signer.Subject, err)
	}
}

func TestSignedUpdateMatchesSignEfiSigList(t *testing.T) {
	pk, kek, db := newKey(t, "PK"), newKey(t, "KEK"), newKey(t, "db")
	tests := []struct {
		v      Variable
		data   []byte
		signer *testKey
	}{
		{PK(), CertList(owner, pk.Cert), pk},
		{KEK().Appending(), CertList(owner, kek.Cert), pk},
		{DB().Appending(), CertList(owner, db.Cert, kek.Cert), kek},
		{DB(), CertList(owner, db.Cert), kek},
	}
	for _, tt := range tests {
		t.Run(tt.v.Name, func(t *testing.T) {
			got, err := SignedUpdate(tt.v, tt.data, timestamp, tt.signer.Key, tt.signer.Cert)
			if err != nil {
				t.Fatal(err)
			}
			if want := efitoolsAuth(t, tt.v, tt.data, tt.signer); !bytes.Equal(got, want) {
				t.Errorf("append %v: differs from sign-efi-sig-list (%d bytes, want %d)", tt.v.Append, len(got), len(want))
			}
			checkUpdate(t, got, tt.v, tt.data, tt.signer.Cert)
		})
	}
}

func TestSignedUpdateErrors(t *testing.T) {
	k, other := newKey(t, "k"), newKey(t, "other")
	tests := []struct {
		name string
		v    Variable
		ts   time.Time
		key  crypto.Signer
		want string
	}{
		{"zero time", PK(), time.Time{}, k.Key, "outside EFI_TIME"},
		{"year 10000", PK(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), k.Key, "outside EFI_TIME"},
		{"empty name", Variable{Vendor: owner}, timestamp, k.Key, "bad variable name"},
		{"not UCS-2", Variable{Name: "db\U0001F600", Vendor: owner}, timestamp, k.Key, "not UCS-2"},
		{"wrong key", PK(), timestamp, other.Key, "does not belong"},
	}
	for _, tt := range tests {
		if _, err := SignedUpdate(tt.v, []byte("x"), tt.ts, tt.key, k.Cert); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: SignedUpdate = %v, want error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestEnrollment(t *testing.T) {
	pk, kek, db := newKey(t, "PK"), newKey(t, "KEK"), newKey(t, "db")
	msKEK, msUEFI, msWin := newKey(t, "ms kek"), newKey(t, "ms uefi"), newKey(t, "ms windows")
	keys := Keys{
		PK: pk.KeyPair, KEK: kek.KeyPair, DB: db.Cert,
		ExtraKEK: []*x509.Certificate{msKEK.Cert}, ExtraDB: []*x509.Certificate{msUEFI.Cert, msWin.Cert},
		Owner: owner, ExtraOwner: msOwner, Time: timestamp,
	}
	f, err := Enrollment(keys)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		got    []byte
		v      Variable
		data   []byte
		signer *testKey
	}{
		{"PK.auth", f.PK, PK(), efitoolsESL(t, pk, owner), pk},
		{"KEK.auth", f.KEK, KEK().Appending(), efitoolsESL(t, kek, owner), pk},
		{"db.auth", f.DB, DB().Appending(), efitoolsESL(t, db, owner), kek},
		{"KEK-microsoft.auth", f.KEKMicrosoft, KEK().Appending(), append(efitoolsESL(t, kek, owner), efitoolsESL(t, msKEK, msOwner)...), pk},
		{"db-microsoft.auth", f.DBMicrosoft, DB().Appending(), bytes.Join([][]byte{efitoolsESL(t, db, owner), efitoolsESL(t, msUEFI, msOwner), efitoolsESL(t, msWin, msOwner)}, nil), kek},
	}
	named := f.Named()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(named[tt.name], tt.got) {
				t.Errorf("Named()[%q] is not the field", tt.name)
			}
			if want := efitoolsAuth(t, tt.v, tt.data, tt.signer); !bytes.Equal(tt.got, want) {
				t.Errorf("differs from sign-efi-sig-list (%d bytes, want %d)", len(tt.got), len(want))
			}
			checkUpdate(t, tt.got, tt.v, tt.data, tt.signer.Cert)
		})
	}
	if len(named) != 5 {
		t.Errorf("Named has %d files, want 5", len(named))
	}
}

func TestEnrollmentWithoutExtras(t *testing.T) {
	pk, kek, db := newKey(t, "PK"), newKey(t, "KEK"), newKey(t, "db")
	f, err := Enrollment(Keys{PK: pk.KeyPair, KEK: kek.KeyPair, DB: db.Cert, Owner: owner, Time: timestamp})
	if err != nil {
		t.Fatal(err)
	}
	if f.KEKMicrosoft != nil || f.DBMicrosoft != nil || len(f.Named()) != 3 {
		t.Errorf("without extra certificates: %d files, microsoft variants %v %v", len(f.Named()), f.KEKMicrosoft != nil, f.DBMicrosoft != nil)
	}
	if _, err := Enrollment(Keys{PK: pk.KeyPair, KEK: kek.KeyPair, Owner: owner, Time: timestamp}); err == nil {
		t.Error("Enrollment without a db certificate succeeded")
	}
}

func TestReproducible(t *testing.T) {
	pk, kek, db, ms := newKey(t, "PK"), newKey(t, "KEK"), newKey(t, "db"), newKey(t, "ms")
	keys := Keys{PK: pk.KeyPair, KEK: kek.KeyPair, DB: db.Cert, ExtraDB: []*x509.Certificate{ms.Cert}, Owner: owner, Time: timestamp}
	a, err := Enrollment(keys)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Enrollment(keys)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range a.Named() {
		if !bytes.Equal(x, b.Named()[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	keys.Time = keys.Time.Add(time.Second)
	c, err := Enrollment(keys)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.PK, c.PK) {
		t.Error("a different timestamp gave the same PK.auth")
	}
}
