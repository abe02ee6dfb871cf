package updatekey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// testNow is the time the tests' keys are made and loaded at.
var testNow = time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC)

func generated(t *testing.T) (string, *Key) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "update-key")
	k, err := Generate(dir, "Acme DB", testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir, k
}

func writeFile(t *testing.T, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
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

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	return testdisk.Run(t, testdisk.Tool(t, "openssl"), args...)
}

// TestGenerate checks what Generate writes with openssl, and that Load
// reads it back.
func TestGenerate(t *testing.T) {
	dir, k := generated(t)
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"", 0o700}, {KeyFile, 0o600}, {CertFile, 0o644}} {
		fi, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %04o, want %04o", filepath.Join(dir, f.name), fi.Mode().Perm(), f.mode)
		}
	}
	crt, key := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if subj := openssl(t, "x509", "-noout", "-subject", "-in", crt); !strings.Contains(subj, "CN = Acme DB update signing") {
		t.Errorf("openssl x509 -subject: %s", subj)
	}
	if a, b := openssl(t, "x509", "-noout", "-modulus", "-in", crt), openssl(t, "rsa", "-noout", "-modulus", "-in", key); a != b {
		t.Errorf("certificate and key moduli differ:\n%s\n%s", a, b)
	}
	if bits := k.Signer.N.BitLen(); bits != 2048 {
		t.Errorf("RSA-%d, want RSA-2048", bits)
	}
	if got, want := k.Cert.NotAfter, testNow.AddDate(20, 0, 0); !got.Equal(want) {
		t.Errorf("valid until %s, want %s", got, want)
	}
	// Valid now, and for as long as an appliance lives.
	for _, at := range []time.Time{testNow, testNow.AddDate(19, 11, 0)} {
		loaded, err := Load(dir, at)
		if err != nil {
			t.Fatalf("Load at %s: %v", at, err)
		}
		if !loaded.Cert.Equal(k.Cert) || !loaded.Signer.Equal(k.Signer) {
			t.Error("Load did not read the generated key")
		}
	}
	if p, _ := pem.Decode(k.CertPEM()); p == nil || p.Type != "CERTIFICATE" || string(p.Bytes) != string(k.Cert.Raw) {
		t.Errorf("CertPEM = %q", k.CertPEM())
	}
}

func TestGenerateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, existing, product, want string
	}{
		{"existing key", KeyFile, "Acme", "generate: DIR/update.key already exists: a key is never overwritten; choose an empty directory"},
		{"existing certificate under another name", "update.pem", "Acme", "DIR/update.pem already exists"},
		{"empty product", "", " ", "the product name is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.existing != "" {
				writeFile(t, filepath.Join(dir, tc.existing), []byte("keep me"), 0o600)
			}
			_, err := Generate(dir, tc.product, testNow, nil)
			if want := strings.ReplaceAll(tc.want, "DIR", dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Generate: %v, want %q", err, want)
			}
			if tc.existing != "" && string(readFile(t, filepath.Join(dir, tc.existing))) != "keep me" {
				t.Error("Generate changed an existing file")
			}
			if entries, _ := os.ReadDir(dir); tc.existing != "" && len(entries) != 1 {
				t.Errorf("Generate left %d files, want only the existing one", len(entries))
			}
		})
	}
}

// TestLoadErrors breaks a good key in one way per case: Load names the
// file and says what to do.
func TestLoadErrors(t *testing.T) {
	good, _ := generated(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, other := generated(t)
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		now     time.Time // zero: testNow
		want    string    // "DIR" stands for the directory
		missing bool
	}{
		{name: "no directory", breakIt: func(t *testing.T, dir string) { os.RemoveAll(dir) },
			want: "update key directory DIR does not exist: make a new key: openssl req -x509 -newkey rsa:2048", missing: true},
		{name: "a file, not a directory", breakIt: func(t *testing.T, dir string) {
			os.RemoveAll(dir)
			writeFile(t, dir, []byte("x"), 0o600)
		}, want: "update key DIR is not a directory: give the directory that holds update.crt and update.key"},
		{name: "no certificate", breakIt: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, CertFile)) },
			want: "no update certificate in DIR (looked for update.crt, update.pem, update.cer, update.der): copy the product's update key there, or make a new key", missing: true},
		{name: "no private key", breakIt: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, KeyFile)) },
			want: "no update private key in DIR (looked for update.key, update.key.pem, update.key.der)", missing: true},
		{name: "two certificates", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "update.der"), readFile(t, filepath.Join(dir, CertFile)), 0o644)
		}, want: "DIR/update.crt and DIR/update.der both exist: keep only one update certificate"},
		{name: "key readable by others", breakIt: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, KeyFile), 0o644) },
			want: "private key DIR/update.key is open to group or others (mode 0644): chmod 600 DIR/update.key"},
		{name: "key readable by group", breakIt: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, KeyFile), 0o640) },
			want: "(mode 0640): chmod 600"},
		{name: "key of another certificate", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, CertFile), other.CertPEM(), 0o644)
		}, want: "private key DIR/update.key does not belong to certificate DIR/update.crt"},
		{name: "expired", now: testNow.AddDate(20, 0, 1),
			want: "certificate DIR/update.crt expired on 2046-03-01 12:30:45 UTC: issue a new certificate for the same key (openssl req -new -x509 -sha256 -days 7300 -key DIR/update.key -out DIR/update.crt)"},
		{name: "not yet valid", now: testNow.Add(-time.Hour), want: "certificate DIR/update.crt is not valid until 2026-03-01 12:30:45 UTC"},
		{name: "elliptic-curve key", breakIt: func(t *testing.T, dir string) { writeECPair(t, dir, ec) },
			want: "private key DIR/update.key is an elliptic-curve key, not RSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "key")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{CertFile, KeyFile} {
				fi, _ := os.Stat(filepath.Join(good, f))
				writeFile(t, filepath.Join(dir, f), readFile(t, filepath.Join(good, f)), fi.Mode().Perm())
			}
			if tc.breakIt != nil {
				tc.breakIt(t, dir)
			}
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			k, err := Load(dir, now)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", k)
			}
			if want := strings.ReplaceAll(tc.want, "DIR", dir); !strings.Contains(err.Error(), want) {
				t.Errorf("Load error:\n%v\nwant it to contain\n%s", err, want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "updatekey: ") || strings.Count(msg, "updatekey: ") != 1 || strings.Contains(msg, "sbkeys") {
				t.Errorf("Load error %q: want one updatekey: prefix and no sbkeys:", msg)
			}
			if got := errors.Is(err, ErrMissing); got != tc.missing {
				t.Errorf("errors.Is(err, ErrMissing) = %v, want %v", got, tc.missing)
			}
		})
	}
}

// writeECPair replaces the key in dir with an elliptic-curve key and a
// certificate for it.
func writeECPair(t *testing.T, dir string, key *ecdsa.PrivateKey) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ec"}, NotBefore: testNow, NotAfter: testNow.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	writeFile(t, filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600)
}

// TestLoadOpensslKey follows the error message's recipe for a new key.
func TestLoadOpensslKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "key")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, crt := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)
	openssl(t, "req", "-x509", "-newkey", "rsa:3072", "-sha256", "-nodes", "-days", "7300",
		"-subj", "/CN=Vendor update signing/", "-keyout", key, "-out", crt)
	os.Chmod(key, 0o600)
	k, err := Load(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cn := k.Cert.Subject.CommonName; cn != "Vendor update signing" || k.Signer.N.BitLen() != 3072 {
		t.Errorf("loaded %q, RSA-%d", cn, k.Signer.N.BitLen())
	}
}
