package sbkeys

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestGenerate(t *testing.T) {
	dir, s := generated(t, "Acme Widget")
	checkModes(t, dir)
	loaded, err := Load(dir, testNow)
	if err != nil {
		t.Fatalf("Load of what Generate wrote: %v", err)
	}
	serials := map[string]bool{}
	for _, role := range Roles() {
		k, l := s.key(role), loaded.key(role)
		if !bytes.Equal(k.CertDER, l.CertDER) || !k.Signer.Equal(l.Signer) || !bytes.Equal(k.Cert.Raw, k.CertDER) {
			t.Errorf("%s: Load does not give back what Generate returned", role)
		}
		c := k.Cert
		if want := "Acme Widget " + role; c.Subject.CommonName != want || c.Issuer.CommonName != want {
			t.Errorf("%s: subject %q issuer %q, want both %q", role, c.Subject, c.Issuer, want)
		}
		if want := testNow.AddDate(20, 0, 0); !c.NotBefore.Equal(testNow) || !c.NotAfter.Equal(want) {
			t.Errorf("%s: valid %s to %s, want %s to %s", role, c.NotBefore, c.NotAfter, testNow, want)
		}
		if bits := k.Signer.N.BitLen(); bits != 2048 || c.SignatureAlgorithm != x509.SHA256WithRSA || !c.IsCA {
			t.Errorf("%s: RSA-%d, %s, CA %v; want RSA-2048, SHA256-RSA, a CA", role, bits, c.SignatureAlgorithm, c.IsCA)
		}
		if err := c.CheckSignatureFrom(c); err != nil {
			t.Errorf("%s: not self-signed: %v", role, err)
		}
		if n := len(c.SerialNumber.Bytes()); n != 16 || c.SerialNumber.Sign() <= 0 {
			t.Errorf("%s: serial %x of %d octets, want a positive 16-octet one", role, c.SerialNumber, n)
		}
		serials[c.SerialNumber.String()] = true
	}
	if len(serials) != 3 {
		t.Errorf("serial numbers repeat: %v", serials)
	}
}

// checkModes checks the modes Generate promises: a private directory,
// private keys, readable certificates, and nothing else written.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	want := map[string]os.FileMode{
		".":      os.ModeDir | 0o700,
		"PK.key": 0o600, "KEK.key": 0o600, "db.key": 0o600,
		"PK.crt": 0o644, "KEK.crt": 0o644, "db.crt": 0o644,
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want)-1 {
		t.Errorf("Generate wrote %d files, want %d", len(entries), len(want)-1)
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != mode {
			t.Errorf("%s: mode %v, want %v", name, got, mode)
		}
	}
}

// TestGenerateOpenssl checks what Generate wrote with openssl.
func TestGenerateOpenssl(t *testing.T) {
	dir, _ := generated(t, "Acme")
	for _, role := range Roles() {
		crt, key := filepath.Join(dir, role+".crt"), filepath.Join(dir, role+".key")
		if got, want := openssl(t, "x509", "-in", crt, "-noout", "-subject"), "subject=CN = Acme "+role+"\n"; got != want {
			t.Errorf("openssl x509 -subject = %q, want %q", got, want)
		}
		if got := openssl(t, "verify", "-CAfile", crt, "-attime", strconv.FormatInt(testNow.Unix(), 10), crt); got != crt+": OK\n" {
			t.Errorf("openssl verify %s = %q", crt, got)
		}
		if got := openssl(t, "rsa", "-in", key, "-check", "-noout"); got != "RSA key ok\n" {
			t.Errorf("openssl rsa -check %s = %q", key, got)
		}
		certMod := openssl(t, "x509", "-in", crt, "-noout", "-modulus")
		if keyMod := openssl(t, "rsa", "-in", key, "-noout", "-modulus"); certMod != keyMod || !strings.HasPrefix(certMod, "Modulus=") {
			t.Errorf("%s: modulus of the certificate %q and of the key %q differ", role, certMod, keyMod)
		}
		if got := openssl(t, "x509", "-in", crt, "-noout", "-dates"); got != "notBefore=Mar  1 12:30:45 2026 GMT\nnotAfter=Mar  1 12:30:45 2046 GMT\n" {
			t.Errorf("openssl x509 -dates = %q", got)
		}
	}
}

// TestGenerateRefuses checks that Generate writes nothing when it would
// overwrite or when it cannot finish.
func TestGenerateRefuses(t *testing.T) {
	tests := []struct {
		name     string
		existing string // a file already in the directory
		cn       string
		rand     io.Reader
		want     string
	}{
		{name: "existing key", existing: "KEK.key", cn: "Acme", want: "generate: DIR/KEK.key already exists: a key set is never overwritten; choose an empty directory"},
		{name: "existing certificate under another name", existing: "db.pem", cn: "Acme", want: "DIR/db.pem already exists"},
		{name: "existing DER key", existing: "PK.key.der", cn: "Acme", want: "DIR/PK.key.der already exists"},
		{name: "empty name", cn: " ", want: "the common name is empty"},
		{name: "randomness runs out", cn: "Acme", rand: io.LimitReader(rand.Reader, 40), want: "generate db: serial number: unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			var before []string
			if tc.existing != "" {
				os.Mkdir(dir, 0o755)
				writeFile(t, filepath.Join(dir, tc.existing), []byte("precious"), 0o600)
				before = []string{tc.existing}
			}
			r := tc.rand
			if r == nil {
				r = rand.Reader
			}
			s, err := Generate(dir, tc.cn, testNow, r)
			if want := strings.ReplaceAll(tc.want, "DIR", dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Generate = %v, %v; want error %q", s, err, want)
			}
			entries, _ := os.ReadDir(dir)
			var after []string
			for _, e := range entries {
				after = append(after, e.Name())
			}
			if !slices.Equal(after, before) {
				t.Errorf("directory holds %v after the failure, want %v", after, before)
			}
			if tc.existing != "" && string(readFile(t, filepath.Join(dir, tc.existing))) != "precious" {
				t.Errorf("Generate changed %s", tc.existing)
			}
		})
	}
}

// TestGenerateExistingDir keeps the mode of a directory that exists.
func TestGenerateExistingDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(dir, "Acme", testNow, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("directory mode after Generate: %v, %v; want 0750", fi.Mode(), err)
	}
	if _, err := Load(dir, testNow); err != nil {
		t.Error(err)
	}
}

func TestOwner(t *testing.T) {
	dir, s := generated(t, "Acme")
	_, other := generated(t, "Acme")
	loaded, err := Load(dir, testNow)
	if err != nil {
		t.Fatal(err)
	}
	owner := s.Owner()
	if loaded.Owner() != owner || other.Owner() == owner {
		t.Errorf("Owner: generated %s, loaded %s, other set %s; want the first two equal, the third different", owner, loaded.Owner(), other.Owner())
	}
	if owner[6]>>4 != 4 || owner[8]>>6 != 2 {
		t.Errorf("Owner %s is not an RFC 4122 version 4 GUID", owner)
	}
	// A new certificate for the same PK key, as the expiry message says
	// to make one, keeps the owner.
	crt := filepath.Join(dir, "PK.crt")
	openssl(t, "req", "-new", "-x509", "-sha256", "-days", "7300", "-key", filepath.Join(dir, "PK.key"), "-out", crt, "-subj", "/CN=Acme PK/")
	renewed, err := Load(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(renewed.PK.CertDER, s.PK.CertDER) || renewed.Owner() != owner {
		t.Errorf("after renewing the PK certificate: owner %s, want %s", renewed.Owner(), owner)
	}
}

func TestWarning(t *testing.T) {
	for _, w := range []string{"can sign software that every machine", "If the keys are lost, no signed update", "never in a source repository"} {
		if !strings.Contains(Warning, w) {
			t.Errorf("Warning does not say %q", w)
		}
	}
}
