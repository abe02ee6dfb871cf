package sbenroll_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/efiauth"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/sbenroll/sbenrolltest"
)

func rsaPair(t *testing.T, cn string) efiauth.KeyPair {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return efiauth.KeyPair{Key: key, Cert: cert}
}

// TestKeysFromEfiauth loads a key directory made the way mkiso makes it
// (internal/efiauth signs the updates), checks that each write is made
// with the attributes its file was signed with, and enrolls it.
func TestKeysFromEfiauth(t *testing.T) {
	pk, kek, db := rsaPair(t, "Acme PK"), rsaPair(t, "Acme KEK"), rsaPair(t, "Acme db")
	msKEK, msDB := rsaPair(t, "Microsoft Corporation KEK CA 2011"), rsaPair(t, "Microsoft Corporation UEFI CA 2011")
	files, err := efiauth.Enrollment(efiauth.Keys{PK: pk, KEK: kek, DB: db.Cert,
		ExtraKEK: []*x509.Certificate{msKEK.Cert}, ExtraDB: []*x509.Certificate{msDB.Cert},
		Owner: guid.MustParse("11111111-2222-4333-8444-555555555555"), Time: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	named := files.Named()
	named[sbenroll.PKCertFile], named[sbenroll.KEKCertFile], named[sbenroll.DBCertFile] = pk.Cert.Raw, kek.Cert.Raw, db.Cert.Raw
	for name, b := range named {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := sbenroll.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	signedWith := map[string]uint32{"db": efiauth.DB().Appending().Attributes(), "KEK": efiauth.KEK().Appending().Attributes(), "PK": efiauth.PK().Attributes()}
	for _, ms := range []bool{true, false} {
		d := decideSetup(t, keys, ms)
		for _, w := range d.Writes {
			if w.Attributes != signedWith[w.Variable] {
				t.Errorf("%s written with %#x, signed with %#x", w.Variable, w.Attributes, signedWith[w.Variable])
			}
		}
		store := efivar.NewMemStore()
		if err := sbenroll.Enroll(sbenrolltest.NewFirmware(t, store, 0, 1), keys, d, t.Logf); err != nil {
			t.Fatalf("microsoft %v: %v", ms, err)
		}
		lists, _ := efivar.ReadSignatureLists(store, "db")
		want := [][]byte{db.Cert.Raw}
		if ms {
			want = append(want, msDB.Cert.Raw)
		}
		if got := efivar.X509Certificates(lists); !slices.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("microsoft %v: db holds %d certificates, want %d", ms, len(got), len(want))
		}
	}
}
