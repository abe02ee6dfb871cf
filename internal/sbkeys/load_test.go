package sbkeys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// loadErrorCase is a good key set broken in one way.
type loadErrorCase struct {
	name    string
	breakIt func(t *testing.T, dir string) // dir is a copy of a good set
	now     time.Time                      // zero: testNow
	want    []string                       // substrings of the error, "DIR" standing for the directory
	missing bool                           // errors.Is(err, ErrMissing)
}

// TestLoadErrors breaks a good key set in one way per case and checks that
// Load names the file and says what to do.
func TestLoadErrors(t *testing.T) {
	good, _ := generated(t, "Acme")
	tests := append(fileErrorCases(), contentErrorCases(t)...)
	for _, tc := range append(tests, encryptedKeyCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, good)
			if tc.breakIt != nil {
				tc.breakIt(t, dir)
			}
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			s, err := Load(dir, now)
			if err == nil {
				t.Fatalf("Load = %v, want an error", s)
			}
			for _, w := range tc.want {
				if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(err.Error(), w) {
					t.Errorf("Load error:\n%v\nwant it to contain\n%s", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "sbkeys: ") || strings.Count(err.Error(), "sbkeys: ") != 1 {
				t.Errorf("Load error %q: want one sbkeys: prefix", err)
			}
			if got := errors.Is(err, ErrMissing); got != tc.missing {
				t.Errorf("errors.Is(err, ErrMissing) = %v, want %v", got, tc.missing)
			}
		})
	}
}

// fileErrorCases break which files there are, their modes, and the
// certificates' validity.
func fileErrorCases() []loadErrorCase {
	return []loadErrorCase{

		{name: "no directory", breakIt: func(t *testing.T, dir string) { os.RemoveAll(dir) },
			want: []string{"key set directory DIR does not exist", "openssl req -x509 -newkey rsa:2048"}, missing: true},
		{name: "a file, not a directory", breakIt: func(t *testing.T, dir string) {
			os.RemoveAll(dir)
			writeFile(t, dir, []byte("x"), 0o600)
		}, want: []string{"key set DIR is not a directory: give the directory that holds PK, KEK and db"}},
		{name: "no PK certificate", breakIt: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "PK.crt")) },
			want: []string{"no PK certificate in DIR", "looked for PK.crt, PK.pem, PK.cer, PK.der", "-keyout DIR/PK.key -out DIR/PK.crt"}, missing: true},
		{name: "no db key", breakIt: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "db.key")) },
			want: []string{"no db private key in DIR", "looked for db.key, db.key.pem, db.key.der"}, missing: true},
		{name: "DB in upper case is not db", breakIt: func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "db.crt"), filepath.Join(dir, "DB.crt"))
		}, want: []string{"no db certificate in DIR"}, missing: true},
		{name: "two certificates for one key", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "KEK.pem"), readFile(t, filepath.Join(dir, "KEK.crt")), 0o644)
		}, want: []string{"DIR/KEK.crt and DIR/KEK.pem both exist: keep only one KEK certificate"}},
		{name: "key readable by others", breakIt: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "PK.key"), 0o644) },
			want: []string{"private key DIR/PK.key is open to group or others (mode 0644): chmod 600 DIR/PK.key"}},
		{name: "key readable by group", breakIt: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "db.key"), 0o640) },
			want: []string{"DIR/db.key is open to group or others (mode 0640): chmod 600 DIR/db.key"}},
		{name: "key writable by others", breakIt: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "KEK.key"), 0o602) },
			want: []string{"(mode 0602): chmod 600 DIR/KEK.key"}},
		{name: "key of another certificate", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "KEK.key"), readFile(t, filepath.Join(dir, "db.key")), 0o600)
		}, want: []string{"private key DIR/KEK.key does not belong to certificate DIR/KEK.crt", "openssl rsa -noout -modulus -in DIR/KEK.key"}},
		{name: "not yet valid", now: testNow.Add(-time.Hour),
			want: []string{"certificate DIR/PK.crt is not valid until 2026-03-01 12:30:45 UTC (now is 2026-03-01 11:30:45 UTC): check this machine's clock"}},
		{name: "expired", now: testNow.AddDate(20, 0, 1),
			want: []string{"certificate DIR/PK.crt expired on 2046-03-01 12:30:45 UTC: issue a new certificate for the same key (openssl req -new -x509 -sha256 -days 7300 -key DIR/PK.key -out DIR/PK.crt)"}},
	}
}

// contentErrorCases put keys and certificates Load cannot use in place.
func contentErrorCases(t *testing.T) []loadErrorCase {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return []loadErrorCase{
		{name: "elliptic-curve key", breakIt: func(t *testing.T, dir string) { writePair(t, dir, "db", ecKey, testNow) },
			want: []string{"private key DIR/db.key is an elliptic-curve key, not RSA: Plinth signs with RSA and SHA-256, which all UEFI firmware verifies"}},
		{name: "Ed25519 key", breakIt: func(t *testing.T, dir string) { writePair(t, dir, "KEK", edKey, testNow) },
			want: []string{"private key DIR/KEK.key is an Ed25519 key, not RSA"}},
		{name: "elliptic-curve certificate", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "PK.crt"), selfSignedPEM(t, ecKey, testNow), 0o644)
		}, want: []string{"certificate DIR/PK.crt has a public key of type ECDSA, not RSA"}},
		{name: "RSA-1024", breakIt: func(t *testing.T, dir string) { writePair(t, dir, "PK", small, testNow) },
			want: []string{"private key DIR/PK.key is RSA-1024: use RSA of 2048 to 4096 bits"}},
		{name: "certificate is garbage", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "db.crt"), []byte("not a certificate"), 0o644)
		}, want: []string{"certificate DIR/db.crt is not an X.509 certificate in PEM or DER form"}},
		{name: "certificate file with two", breakIt: func(t *testing.T, dir string) {
			b := append(readFile(t, filepath.Join(dir, "PK.crt")), readFile(t, filepath.Join(dir, "KEK.crt"))...)
			writeFile(t, filepath.Join(dir, "PK.crt"), b, 0o644)
		}, want: []string{"certificate DIR/PK.crt holds 2 certificates: keep only this key's own certificate in it"}},
		{name: "key where the certificate belongs", breakIt: func(t *testing.T, dir string) {
			remove(t, filepath.Join(dir, "PK.crt"))
			writeFile(t, filepath.Join(dir, "PK.pem"), readFile(t, filepath.Join(dir, "PK.key")), 0o600)
		}, want: []string{"certificate DIR/PK.pem holds no certificate, only PRIVATE KEY: a private key belongs in a file named"}},
		{name: "key is garbage", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "KEK.key"), []byte{0x30, 0x03, 0x02, 0x01, 0x00}, 0o600)
		}, want: []string{"DIR/KEK.key is not a private key in PEM or DER form, PKCS#8 or PKCS#1"}},
		{name: "certificate where the key belongs", breakIt: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "KEK.key"), readFile(t, filepath.Join(dir, "KEK.crt")), 0o600)
		}, want: []string{"DIR/KEK.key holds no PEM private key block"}},
	}
}

// encryptedKeyCases encrypt db's key the three ways openssl does.
func encryptedKeyCases() []loadErrorCase {
	encrypt := func(out string, args ...string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			in, tmp := filepath.Join(dir, "db.key"), filepath.Join(dir, "encrypted")
			openssl(t, append(args, "-in", in, "-out", tmp, "-passout", "pass:secret")...)
			remove(t, in)
			writeFile(t, filepath.Join(dir, out), readFile(t, tmp), 0o600)
		}
	}
	want := func(file string) []string {
		return []string{"private key DIR/" + file + " is encrypted, which Plinth does not support: decrypt it", "openssl pkey -in DIR/" + file}
	}
	return []loadErrorCase{
		{name: "encrypted PKCS#8 PEM", breakIt: encrypt("db.key", "pkcs8", "-topk8", "-v2", "aes256"), want: want("db.key")},
		{name: "encrypted PKCS#1 PEM", breakIt: encrypt("db.key", "rsa", "-traditional", "-aes256"), want: want("db.key")},
		{name: "encrypted PKCS#8 DER", breakIt: encrypt("db.key.der", "pkcs8", "-topk8", "-v2", "aes256", "-outform", "DER"), want: want("db.key.der")},
	}
}

// TestLoadFormats loads sets whose files openssl converted to each
// accepted name and encoding, and keys of each accepted size.
func TestLoadFormats(t *testing.T) {
	good, want := generated(t, "Acme")
	// convert replaces role's file from with file to, made by openssl.
	convert := func(from, to string, args ...string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			in := filepath.Join(dir, from)
			tmp := filepath.Join(dir, "converted")
			openssl(t, append(args, "-in", in, "-out", tmp)...)
			remove(t, in)
			writeFile(t, filepath.Join(dir, to), readFile(t, tmp), 0o600)
			remove(t, tmp)
		}
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string)
		role    string // whose key the change replaced; "" for none
		keyBits int    // of the new key, when the change made one
	}{
		{name: "as generated"},
		{name: "PEM certificate named .pem", change: convert("PK.crt", "PK.pem", "x509")},
		{name: "DER certificate named .cer", change: convert("KEK.crt", "KEK.cer", "x509", "-outform", "DER")},
		{name: "DER certificate named .der", change: convert("db.crt", "db.der", "x509", "-outform", "DER")},
		{name: "DER certificate named .crt", change: convert("db.crt", "db.crt", "x509", "-outform", "DER")},
		{name: "PKCS#1 PEM key", change: convert("PK.key", "PK.key", "rsa", "-traditional")},
		{name: "PKCS#1 DER key named .key.der", change: convert("KEK.key", "KEK.key.der", "rsa", "-traditional", "-outform", "DER")},
		{name: "PKCS#8 DER key named .key", change: convert("db.key", "db.key", "pkey", "-outform", "DER")},
		{name: "PKCS#8 PEM key named .key.pem", change: convert("db.key", "db.key.pem", "pkey")},
		{name: "key readable by its owner only", change: func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "PK.key"), 0o400) }},
		{name: "RSA-3072", change: opensslPair("KEK", 3072), role: "KEK", keyBits: 3072},
		{name: "RSA-4096", change: opensslPair("db", 4096), role: "db", keyBits: 4096},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, good)
			if tc.change != nil {
				tc.change(t, dir)
			}
			// openssl's certificates start now, Generate's at testNow.
			s, err := Load(dir, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, role := range Roles() {
				got, w := s.key(role), want.key(role)
				if role == tc.role {
					if bits := got.Signer.N.BitLen(); bits != tc.keyBits {
						t.Errorf("%s: key of %d bits, want %d", role, bits, tc.keyBits)
					}
					continue
				}
				if string(got.CertDER) != string(w.CertDER) || !got.Signer.Equal(w.Signer) || !got.Cert.Equal(w.Cert) {
					t.Errorf("%s: Load did not read the generated key and certificate", role)
				}
			}
		})
	}
}

// opensslPair replaces role's key and certificate with ones openssl makes,
// of the given size, the way the error messages tell users to.
func opensslPair(role string, bits int) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		key, crt := filepath.Join(dir, role+".key"), filepath.Join(dir, role+".crt")
		os.Remove(key)
		os.Remove(crt)
		openssl(t, "req", "-x509", "-newkey", "rsa:"+strconv.Itoa(bits), "-sha256", "-nodes", "-days", "7300",
			"-subj", "/CN=Vendor "+role+"/", "-keyout", key, "-out", crt)
		os.Chmod(key, 0o600)
	}
}

// TestLoadOpensslSet follows the error message's recipe for a new set.
func TestLoadOpensslSet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	_, err := Load(dir, time.Now())
	recipe := "openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 7300 -subj '/CN=Vendor PK/' -keyout DIR/PK.key -out DIR/PK.crt, the same for KEK and db"
	if err == nil || !strings.Contains(err.Error(), strings.ReplaceAll(recipe, "DIR", dir)) {
		t.Fatalf("Load of a missing directory: %v\nwant the recipe %s", err, recipe)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, role := range Roles() {
		opensslPair(role, 2048)(t, dir) // the recipe's arguments
	}
	s, err := Load(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cn := s.KEK.Cert.Subject.CommonName; cn != "Vendor KEK" {
		t.Errorf("KEK common name %q, want Vendor KEK", cn)
	}
}
