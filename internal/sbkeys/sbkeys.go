package sbkeys

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/guid"
)

// Key is one key of a set: the certificate the firmware is given and the
// private key that signs.
type Key struct {
	Cert    *x509.Certificate
	CertDER []byte
	Signer  *rsa.PrivateKey
}

// Set is a vendor's Secure Boot key set. PK signs changes to KEK (and to
// PK itself), KEK signs changes to db and dbx, and DB signs the images the
// machines boot.
type Set struct{ PK, KEK, DB Key }

// ErrMissing matches (errors.Is) Load's error when the directory or one of
// its files does not exist, so that a command can add how it makes a new
// set.
var ErrMissing = errors.New("sbkeys: key set missing")

// missingError is an error that is ErrMissing without saying so in its
// text, which already says what is missing.
type missingError struct{ msg string }

func (e *missingError) Error() string        { return e.msg }
func (e *missingError) Is(target error) bool { return target == ErrMissing }

// Roles are the names of a set's keys as files and UEFI variables name
// them, in the order Load and Generate handle them.
func Roles() []string { return []string{"PK", "KEK", "db"} }

// CertNames are the file names Load tries, in order, for role's
// certificate.
func CertNames(role string) []string {
	return []string{role + ".crt", role + ".pem", role + ".cer", role + ".der"}
}

// KeyNames are the file names Load tries, in order, for role's private
// key. They differ from CertNames, so that "PK.pem" always means a
// certificate.
func KeyNames(role string) []string {
	return []string{role + ".key", role + ".key.pem", role + ".key.der"}
}

// key returns the Key of s that role names.
func (s *Set) key(role string) *Key {
	switch role {
	case "PK":
		return &s.PK
	case "KEK":
		return &s.KEK
	default:
		return &s.DB
	}
}

// Owner returns the SignatureOwner GUID under which this set's
// certificates are enrolled (UEFI 2.10 section 32.4.1), so that entries
// Plinth wrote can be told from Microsoft's and from others'. It is derived
// from the PK's public key rather than its certificate, so that renewing a
// certificate for the same key keeps the owner.
func (s *Set) Owner() guid.GUID {
	return guid.Derive("plinth secure boot signature owner", s.PK.Cert.RawSubjectPublicKeyInfo)
}

// Load reads the key set in dir (see the package documentation for the
// file names) and checks that each private key is RSA of 2048 to 4096
// bits, can be read by its owner only, matches its certificate, and that
// each certificate is valid at now.
func Load(dir string, now time.Time) (*Set, error) {
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, os.ErrNotExist):
		return nil, &missingError{fmt.Sprintf("sbkeys: key set directory %s does not exist: %s", dir, newSetHint(dir))}
	case err != nil:
		return nil, fmt.Errorf("sbkeys: key set directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("sbkeys: key set %s is not a directory: give the directory that holds PK, KEK and db", dir)
	}
	var s Set
	for _, role := range Roles() {
		k, err := LoadPair(dir, role, now)
		if errors.Is(err, ErrMissing) {
			return nil, &missingError{fmt.Sprintf("sbkeys: %v: copy the vendor's key set there, or %s", err, newSetHint(dir))}
		}
		if err != nil {
			return nil, fmt.Errorf("sbkeys: %w", err)
		}
		*s.key(role) = k
	}
	return &s, nil
}

// LoadPair reads one key of dir, named role, as Load reads each of PK,
// KEK and db: a certificate of CertNames(role) and a private key of
// KeyNames(role), with the same checks. Other keys kept the same way (the
// update key, package updatekey) are read with it. Its errors name the
// file and say what to do, without a package prefix; when a file is
// missing the error matches ErrMissing and the caller adds how to make
// one.
func LoadPair(dir, role string, now time.Time) (Key, error) {
	certPath, err := findOne(dir, role, "certificate", CertNames(role))
	if err != nil {
		return Key{}, err
	}
	keyPath, err := findOne(dir, role, "private key", KeyNames(role))
	if err != nil {
		return Key{}, err
	}
	if err := checkPrivate(keyPath); err != nil {
		return Key{}, err
	}
	cert, err := readCert(certPath)
	if err != nil {
		return Key{}, err
	}
	signer, err := readKey(keyPath)
	if err != nil {
		return Key{}, err
	}
	if err := checkPair(cert, certPath, signer, keyPath); err != nil {
		return Key{}, err
	}
	if err := checkValid(cert, certPath, keyPath, now); err != nil {
		return Key{}, err
	}
	return Key{Cert: cert, CertDER: cert.Raw, Signer: signer}, nil
}

// findOne returns the path of the one file of names that exists in dir.
func findOne(dir, role, what string, names []string) (string, error) {
	var found []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s %s: %w", role, what, err)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", &missingError{fmt.Sprintf("no %s %s in %s (looked for %s)", role, what, dir, strings.Join(names, ", "))}
	default:
		return "", fmt.Errorf("%s and %s both exist: keep only one %s %s", found[0], found[1], role, what)
	}
}

// newSetHint says how to make a key set by hand; commands that generate
// one add their own way (see ErrMissing).
func newSetHint(dir string) string {
	return fmt.Sprintf("make a new set: openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 7300 -subj '/CN=Vendor PK/' -keyout %s -out %s, "+
		"the same for KEK and db, and chmod 600 the keys (machines that trust another set will not boot what a new one signs)",
		filepath.Join(dir, "PK.key"), filepath.Join(dir, "PK.crt"))
}

// checkPrivate refuses a private key that other users can read or change:
// whoever can read it can sign what the vendor's machines boot.
func checkPrivate(keyPath string) error {
	fi, err := os.Stat(keyPath)
	if err != nil {
		return err
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("private key %s is open to group or others (mode %04o): chmod 600 %s", keyPath, m, keyPath)
	}
	return nil
}

// checkPair refuses a private key that is not the certificate's.
func checkPair(cert *x509.Certificate, certPath string, key *rsa.PrivateKey, keyPath string) error {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("certificate %s has a public key of type %s, not RSA: Plinth signs with RSA and SHA-256, which all UEFI firmware verifies: use an RSA-2048 key and certificate", certPath, cert.PublicKeyAlgorithm)
	}
	if !pub.Equal(&key.PublicKey) {
		return fmt.Errorf("private key %s does not belong to certificate %s: put the key and certificate of one pair together "+
			"(openssl x509 -noout -modulus -in %s and openssl rsa -noout -modulus -in %s print the same modulus for a pair)",
			keyPath, certPath, certPath, keyPath)
	}
	return nil
}

// checkValid refuses a certificate outside its validity period. Firmware
// does not check validity, but a key set whose certificate has expired is
// one nobody has looked after, and a certificate not yet valid means a
// wrong clock here or at the signer.
func checkValid(cert *x509.Certificate, certPath, keyPath string, now time.Time) error {
	const day = "2006-01-02 15:04:05 UTC"
	switch {
	case now.Before(cert.NotBefore):
		return fmt.Errorf("certificate %s is not valid until %s (now is %s): check this machine's clock, or issue the certificate again from today",
			certPath, cert.NotBefore.UTC().Format(day), now.UTC().Format(day))
	case now.After(cert.NotAfter):
		return fmt.Errorf("certificate %s expired on %s: issue a new certificate for the same key (openssl req -new -x509 -sha256 -days 7300 -key %s -out %s)",
			certPath, cert.NotAfter.UTC().Format(day), keyPath, certPath)
	}
	return nil
}
