package efivar

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/guid"
)

func TestReadSecureBootState(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string][]byte
		want    SecureBootState
		wantErr string
	}{
		{"no secure boot support", nil, SecureBootState{}, ""},
		{"setup mode", map[string][]byte{"SecureBoot": {0}, "SetupMode": {1}},
			SecureBootState{Supported: true, SetupMode: true}, ""},
		{"user mode, on", map[string][]byte{"SecureBoot": {1}, "SetupMode": {0}, "AuditMode": {0}, "DeployedMode": {0}},
			SecureBootState{Supported: true, SecureBoot: true}, ""},
		{"audit mode", map[string][]byte{"SecureBoot": {0}, "SetupMode": {1}, "AuditMode": {1}},
			SecureBootState{Supported: true, SetupMode: true, AuditMode: true}, ""},
		{"deployed mode", map[string][]byte{"SecureBoot": {1}, "SetupMode": {0}, "DeployedMode": {1}},
			SecureBootState{Supported: true, SecureBoot: true, DeployedMode: true}, ""},
		{"two bytes", map[string][]byte{"SecureBoot": {1, 0}}, SecureBootState{}, "SecureBoot holds 01 00"},
		{"not a boolean", map[string][]byte{"SecureBoot": {0}, "SetupMode": {2}}, SecureBootState{}, "SetupMode holds 02"},
	}
	for _, tt := range tests {
		for sname, s := range stores(t) {
			t.Run(tt.name+"/"+sname, func(t *testing.T) {
				for n, v := range tt.vars {
					if err := s.Set(n, GlobalVariable, AttrBootServiceAccess|AttrRuntimeAccess, v); err != nil {
						t.Fatal(err)
					}
				}
				got, err := ReadSecureBootState(s)
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("err = %v, want %q", err, tt.wantErr)
					}
					return
				}
				if err != nil || got != tt.want {
					t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
				}
			})
		}
	}
}

func TestSecureBootVendor(t *testing.T) {
	for name, want := range map[string]guid.GUID{"PK": GlobalVariable, "KEK": GlobalVariable, "db": ImageSecurityDatabase, "dbx": ImageSecurityDatabase} {
		if got, err := SecureBootVendor(name); err != nil || got != want {
			t.Errorf("%s: %s, %v", name, got, err)
		}
	}
	if _, err := SecureBootVendor("DB"); err == nil {
		t.Error("DB (wrong case) accepted")
	}
}

var testOwner = guid.MustParse("11111111-2222-3333-4444-555555555555")

func mustList(t *testing.T, l SignatureList) []byte {
	t.Helper()
	b, err := EncodeSignatureList(l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignatureListRoundTrip(t *testing.T) {
	certA, certB := bytes.Repeat([]byte{0xa}, 300), bytes.Repeat([]byte{0xb}, 301)
	digests := SignatureList{Type: CertSHA256, Signatures: []SignatureData{
		{Owner: testOwner, Data: bytes.Repeat([]byte{1}, 32)}, {Owner: GlobalVariable, Data: bytes.Repeat([]byte{2}, 32)},
	}}
	lists := []SignatureList{
		{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: certA}}},
		digests,
		{Type: CertX509, Header: []byte{}, Signatures: []SignatureData{{Owner: testOwner, Data: certB}}},
	}
	var b []byte
	for _, l := range lists {
		b = append(b, mustList(t, l)...)
	}
	// The layout by hand: type GUID mixed-endian, then the three sizes.
	if want := CertX509.Mixed(); !bytes.Equal(b[:16], want[:]) ||
		binary.LittleEndian.Uint32(b[16:]) != 28+16+300 || binary.LittleEndian.Uint32(b[24:]) != 16+300 {
		t.Fatalf("header % x", b[:28])
	}
	got, err := ParseSignatureLists(b)
	if err != nil {
		t.Fatal(err)
	}
	lists[2].Header = nil // an empty header decodes as none
	if !reflect.DeepEqual(got, lists) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, lists)
	}
	if certs := X509Certificates(got); len(certs) != 2 || !bytes.Equal(certs[0], certA) || !bytes.Equal(certs[1], certB) {
		t.Errorf("X509Certificates = %d certs", len(certs))
	}
	if _, err := EncodeSignatureList(SignatureList{Type: CertX509, Signatures: []SignatureData{{Data: certA}, {Data: certB}}}); err == nil {
		t.Error("signatures of different sizes in one list accepted")
	}
	if _, err := EncodeSignatureList(SignatureList{Type: CertX509}); err == nil {
		t.Error("empty list accepted")
	}
	if l, err := ParseSignatureLists(nil); err != nil || l != nil {
		t.Errorf("empty database: %v, %v", l, err)
	}
}

func TestParseSignatureListsRefuses(t *testing.T) {
	good := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("cert")}}})
	with := func(off int, v uint32) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"short header", good[:27], "shorter than a list header"},
		{"size past the end", with(16, uint32(len(good)+1)), "runs past the end"},
		{"zero size", with(16, 0), "smaller than its header"},
		{"header past the size", with(20, 100), "smaller than its header"},
		{"signature smaller than its owner", with(24, 15), "smaller than the owner GUID"},
		{"ragged signatures", with(24, 17), "not a multiple"},
		{"trailing garbage", append(slices.Clone(good), 1, 2, 3), "offset 48"},
	}
	for _, tt := range tests {
		if _, err := ParseSignatureLists(tt.b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestSignatureListsOfOVMF reads the signature lists that the ovmf
// package's Microsoft-enrolled VARS image holds (EDK2 wrote them, not
// us) and finds Microsoft's certificates in them.
func TestSignatureListsOfOVMF(t *testing.T) {
	const path = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: install the ovmf package (internal/hostdeps/packages.txt)", err)
	}
	x509Type := CertX509.Mixed()
	var subjects []string
	for off := 0; ; off++ {
		i := bytes.Index(img[off:], x509Type[:])
		if i < 0 {
			break
		}
		off += i
		l, n, err := parseSignatureList(img[off:])
		if err != nil {
			continue // the GUID bytes elsewhere than at a list
		}
		lists, err := ParseSignatureLists(img[off : off+n])
		if err != nil || !reflect.DeepEqual(lists, []SignatureList{l}) {
			t.Fatalf("list at %d: %v", off, err)
		}
		for _, der := range X509Certificates(lists) {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatalf("certificate at %d: %v", off, err)
			}
			subjects = append(subjects, c.Subject.CommonName)
		}
	}
	for _, want := range []string{"Microsoft Corporation KEK CA 2011", "Microsoft Windows Production PCA 2011", "Microsoft Corporation UEFI CA 2011"} {
		if !slices.Contains(subjects, want) {
			t.Errorf("%s: no %q among %q", path, want, subjects)
		}
	}
}

// authBlob is an authenticated write as sign-efi-sig-list makes it, with
// a stand-in for the PKCS#7 signature (nothing here checks it).
func authBlob(data []byte) []byte {
	b := make([]byte, 16, 16+24+8+len(data))
	b[0], b[1] = 0xe9, 0x07 // year 2025
	b = binary.LittleEndian.AppendUint32(b, 24+8)
	b = binary.LittleEndian.AppendUint16(b, 0x0200)
	b = binary.LittleEndian.AppendUint16(b, 0x0ef1)
	pkcs7 := CertTypePKCS7.Mixed()
	b = append(b, pkcs7[:]...)
	b = append(b, []byte("SIGNATUR")...)
	return append(b, data...)
}

func TestParseAuthenticated(t *testing.T) {
	data := []byte("payload")
	a, err := ParseAuthenticated(authBlob(data))
	if err != nil || string(a.Signature) != "SIGNATUR" || !bytes.Equal(a.Data, data) || a.TimeStamp[0] != 0xe9 {
		t.Fatalf("%+v, %v", a, err)
	}
	with := func(off int, b ...byte) []byte {
		x := authBlob(data)
		copy(x[off:], b)
		return x
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", authBlob(nil)[:39], "shorter than its header"},
		{"length past the end", with(16, 0xff, 0xff), "does not fit"},
		{"length under the header", with(16, 23, 0), "does not fit"},
		{"revision", with(20, 0x00, 0x01), "revision"},
		{"type", with(22, 0x02, 0x00), "WIN_CERT_TYPE_EFI_GUID"},
		{"cert type", with(24, 0), "EFI_CERT_TYPE_PKCS7_GUID"},
	}
	for _, tt := range tests {
		if _, err := ParseAuthenticated(tt.b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// authStores returns each AuthStore, fresh, and the directory of the
// Efivarfs one.
func authStores(t *testing.T) (map[string]AuthStore, string) {
	dir := t.TempDir()
	return map[string]AuthStore{"mem": NewMemStore(), "efivarfs": NewEfivarfs(dir)}, dir
}

// Enrolling as sbenroll does: db and KEK appended, PK replaced; what is
// read back is what firmware keeps, the data without the header.
func TestSetAuthenticated(t *testing.T) {
	db1 := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("firmware's own cert")}}})
	db2 := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("our cert")}}})
	pk := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("our PK")}}})
	stores, _ := authStores(t)
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			for _, w := range []struct {
				name  string
				attrs uint32
				data  []byte
			}{{"db", AttrsAuthenticatedAppend, db1}, {"db", AttrsAuthenticatedAppend, db2}, {"PK", AttrsAuthenticated, pk}, {"PK", AttrsAuthenticated, pk}} {
				vendor, _ := SecureBootVendor(w.name)
				if err := s.SetAuthenticated(w.name, vendor, w.attrs, authBlob(w.data)); err != nil {
					t.Fatal(err)
				}
			}
			attrs, data, err := s.Get("db", ImageSecurityDatabase)
			if err != nil || attrs != 0x27 || !bytes.Equal(data, append(slices.Clone(db1), db2...)) {
				t.Errorf("db: %#x % x, %v", attrs, data, err)
			}
			if _, data, err := s.Get("PK", GlobalVariable); err != nil || !bytes.Equal(data, pk) {
				t.Errorf("PK replaced, not appended: % x, %v", data, err)
			}
			lists, err := ReadSignatureLists(s, "db")
			if certs := X509Certificates(lists); err != nil || len(certs) != 2 || string(certs[1]) != "our cert" {
				t.Errorf("ReadSignatureLists(db) = %q, %v", certs, err)
			}
			if lists, err := ReadSignatureLists(s, "KEK"); err != nil || lists != nil {
				t.Errorf("missing KEK: %v, %v", lists, err)
			}
		})
	}
}

func TestSetAuthenticatedRefuses(t *testing.T) {
	list := mustList(t, SignatureList{Type: CertX509, Signatures: []SignatureData{{Owner: testOwner, Data: []byte("c")}}})
	tests := []struct {
		name  string
		attrs uint32
		auth  []byte
		want  string
	}{
		{"db", AttrsNVBSRT, authBlob(list), "not those of a time-based authenticated write"},
		{"db", 0x80000027, authBlob(list), "not those of a time-based"},
		{"db", AttrsAuthenticatedAppend, list, "authentication length"}, // a bare list, no header
		{"PK", AttrsAuthenticated, authBlob(nil), "would delete the variable"},
		{"KEK", AttrsAuthenticatedAppend, authBlob([]byte("not a list")), "shorter than a list header"},
		{"a/b", AttrsAuthenticated, authBlob(list), "bad variable name"},
	}
	stores, _ := authStores(t)
	for sname, s := range stores {
		for _, tt := range tests {
			vendor, _ := SecureBootVendor(tt.name)
			if err := s.SetAuthenticated(tt.name, vendor, tt.attrs, tt.auth); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %s %#x: %v, want %q", sname, tt.name, tt.attrs, err, tt.want)
			}
		}
		if refs, _ := s.List(); len(refs) != 0 {
			t.Errorf("%s: refused writes left %v", sname, refs)
		}
	}
	// Any data goes for a variable that is not a Secure Boot database.
	for sname, s := range stores {
		if err := s.SetAuthenticated("VendorVar", testOwner, AttrsAuthenticated, authBlob([]byte("x"))); err != nil {
			t.Errorf("%s: %v", sname, err)
		}
	}
}

// On efivarfs the kernel is handed the attributes and the .auth content
// exactly, in one write.
func TestAuthWriteLayout(t *testing.T) {
	auth := authBlob([]byte("lists"))
	got := authWrite(AttrsAuthenticatedAppend, auth)
	if want := append([]byte{0x67, 0, 0, 0}, auth...); !bytes.Equal(got, want) {
		t.Errorf("authWrite = % x\nwant % x", got, want)
	}
}
