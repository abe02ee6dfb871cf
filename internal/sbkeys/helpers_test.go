package sbkeys

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/testdisk"
)

// testNow is the time the tests' key sets are made and loaded at.
var testNow = time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC)

// generated makes a key set in a new directory and returns the directory.
func generated(t *testing.T, name string) (string, *Set) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	s, err := Generate(dir, name, testNow, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return dir, s
}

// copyDir copies the regular files of src, with their modes, into a new
// directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), b, fi.Mode().Perm())
	}
	return dst
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

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// selfSignedPEM returns a PEM certificate for key, self-signed, valid
// from notBefore for a year.
func selfSignedPEM(t *testing.T, key crypto.Signer, notBefore time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    notBefore,
		NotAfter:     notBefore.AddDate(1, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBytes("CERTIFICATE", der)
}

// writePair replaces role's certificate and key in dir with key and a
// certificate for it, in PEM, the key as PKCS#8.
func writePair(t *testing.T, dir, role string, key crypto.Signer, notBefore time.Time) {
	t.Helper()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, role+".crt"), selfSignedPEM(t, key, notBefore), 0o644)
	writeFile(t, filepath.Join(dir, role+".key"), pemBytes("PRIVATE KEY", pkcs8), 0o600)
}

// openssl runs openssl and returns its output, failing the test if it
// fails.
func openssl(t *testing.T, args ...string) string {
	t.Helper()
	return testdisk.Run(t, testdisk.Tool(t, "openssl"), args...)
}
