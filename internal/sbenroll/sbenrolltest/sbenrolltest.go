// Package sbenrolltest makes Secure Boot key directories and a firmware
// that acts on Secure Boot writes, for the tests of the packages that
// enroll keys. Nothing here signs for real: the .auth files carry a
// stand-in for the PKCS#7 signature, which only firmware would check.
package sbenrolltest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/sbenroll"
)

// Owner is the signature owner GUID of the lists written here.
var Owner = guid.MustParse("5ca1ab1e-0000-4000-8000-00000000beef")

// Keys are the certificates of a key directory WriteKeys made, DER.
type Keys struct {
	PK, KEK, DB []byte
	// MicrosoftKEK and MicrosoftDB stand for Microsoft's KEK CA and its
	// UEFI CA and Windows PCA.
	MicrosoftKEK []byte
	MicrosoftDB  [][]byte
}

// Cert makes a self-signed certificate named cn.
func Cert(t testing.TB, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// WriteKeys writes a complete key directory into dir, as mkiso lays it
// out, and returns its certificates.
func WriteKeys(t testing.TB, dir string) Keys {
	t.Helper()
	k := Keys{PK: Cert(t, "Test PK"), KEK: Cert(t, "Test KEK"), DB: Cert(t, "Test db"),
		MicrosoftKEK: Cert(t, "Microsoft Corporation KEK CA 2011"),
		MicrosoftDB:  [][]byte{Cert(t, "Microsoft Windows Production PCA 2011"), Cert(t, "Microsoft Corporation UEFI CA 2011")}}
	files := map[string][]byte{
		sbenroll.PKCertFile: k.PK, sbenroll.KEKCertFile: k.KEK, sbenroll.DBCertFile: k.DB,
		sbenroll.PKAuthFile:           Auth(t, k.PK),
		sbenroll.KEKAuthFile:          Auth(t, k.KEK),
		sbenroll.KEKMicrosoftAuthFile: Auth(t, k.KEK, k.MicrosoftKEK),
		sbenroll.DBAuthFile:           Auth(t, k.DB),
		sbenroll.DBMicrosoftAuthFile:  Auth(t, append([][]byte{k.DB}, k.MicrosoftDB...)...),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// Lists encodes certs as signature lists, one list each.
func Lists(t testing.TB, certs ...[]byte) []byte {
	t.Helper()
	var out []byte
	for _, c := range certs {
		l, err := efivar.EncodeSignatureList(efivar.SignatureList{Type: efivar.CertX509, Signatures: []efivar.SignatureData{{Owner: Owner, Data: c}}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l...)
	}
	return out
}

// Auth is an authenticated write of certs: an EFI_VARIABLE_AUTHENTICATION_2
// with a stand-in signature, then the lists.
func Auth(t testing.TB, certs ...[]byte) []byte {
	t.Helper()
	sig := []byte("PKCS#7 stand-in")
	b := make([]byte, 16) // EFI_TIME: zero, as sign-efi-sig-list -t can make it
	b = binary.LittleEndian.AppendUint32(b, uint32(24+len(sig)))
	b = binary.LittleEndian.AppendUint16(b, 0x0200)
	b = binary.LittleEndian.AppendUint16(b, 0x0ef1)
	pkcs7 := efivar.CertTypePKCS7.Mixed()
	b = append(append(b, pkcs7[:]...), sig...)
	return append(b, Lists(t, certs...)...)
}

// Write is one authenticated write the Firmware was given.
type Write struct {
	Name  string
	Attrs uint32
	Auth  []byte
}

// Firmware is a UEFI variable store that acts like firmware on Secure
// Boot writes: in User Mode it refuses every authenticated write with
// EACCES (it cannot check signatures, and ours are only good in Setup
// Mode), and writing PK ends Setup Mode. Refuse makes a write of the
// named variable fail with the given error instead.
type Firmware struct {
	efivar.AuthStore
	Refuse map[string]error

	mu     sync.Mutex
	writes []Write
}

// NewFirmware returns a Firmware on store with the given mode variables
// (SecureBoot and SetupMode, 0 or 1; -1 leaves one out).
func NewFirmware(t testing.TB, store efivar.AuthStore, secureBoot, setupMode int) *Firmware {
	t.Helper()
	f := &Firmware{AuthStore: store, Refuse: map[string]error{}}
	for name, v := range map[string]int{"SecureBoot": secureBoot, "SetupMode": setupMode} {
		if v >= 0 {
			if err := store.Set(name, efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, []byte{byte(v)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// SetAuthenticated applies the firmware's rules, then stores the write.
func (f *Firmware) SetAuthenticated(name string, vendor guid.GUID, attrs uint32, auth []byte) error {
	if err, ok := f.Refuse[name]; ok {
		return fmt.Errorf("efivar: write %s: %w", name, err)
	}
	if st, err := efivar.ReadSecureBootState(f.AuthStore); err != nil || !st.SetupMode {
		return fmt.Errorf("efivar: write %s: %w", name, syscall.EACCES)
	}
	if err := f.AuthStore.SetAuthenticated(name, vendor, attrs, auth); err != nil {
		return err
	}
	f.mu.Lock()
	f.writes = append(f.writes, Write{Name: name, Attrs: attrs, Auth: auth})
	f.mu.Unlock()
	if name == efivar.VarPK && vendor == efivar.GlobalVariable {
		return f.Set("SetupMode", efivar.GlobalVariable, efivar.AttrBootServiceAccess|efivar.AttrRuntimeAccess, []byte{0})
	}
	return nil
}

// Writes returns the authenticated writes accepted so far, in order.
func (f *Firmware) Writes() []Write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Write(nil), f.writes...)
}
