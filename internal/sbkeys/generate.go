package sbkeys

import (
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Warning is what a command says when it makes or uses a key set.
const Warning = "Whoever holds these private keys can sign software that every machine enrolled with them will boot. " +
	"The db key signs every image; the PK and KEK keys change what those machines trust. " +
	"If the keys are lost, no signed update can ever be made for those machines: keep a backup. " +
	"Keep them offline or in a secret store, never in a source repository, a build log or an image."

// Validity of the certificates Generate makes: longer than an appliance
// lives, since firmware never checks it and renewing means a new
// certificate on every machine's db.
const validYears = 20

// Generate makes a new key set in dir: for PK, KEK and db a fresh RSA-2048
// key (<role>.key, PKCS#8 PEM, mode 0600) and a self-signed certificate
// (<role>.crt, PEM) with common name "<commonName> <role>", valid from now
// for 20 years with a random serial number. dir is made with mode 0700 if
// it does not exist; a dir that exists keeps its mode. Generate refuses to
// write if any file Load would read is already there, and removes what it
// wrote when it fails. rand (nil: crypto/rand) gives the serial numbers;
// crypto/rsa always draws key material from the system's secure source.
func Generate(dir, commonName string, now time.Time, rand io.Reader) (*Set, error) {
	if strings.TrimSpace(commonName) == "" {
		return nil, errors.New("sbkeys: generate: the common name is empty: give the vendor's or product's name")
	}
	if rand == nil {
		rand = cryptorand.Reader
	}
	if err := refuseExisting(dir, "a key set", Roles()...); err != nil {
		return nil, fmt.Errorf("sbkeys: generate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sbkeys: generate: %w", err)
	}
	var s Set
	var written []string
	for _, role := range Roles() {
		k, files, err := generateKey(dir, commonName+" "+role, role, now, rand)
		written = append(written, files...)
		if err != nil {
			for _, f := range written {
				os.Remove(f)
			}
			return nil, fmt.Errorf("sbkeys: generate %s: %w", role, err)
		}
		*s.key(role) = k
	}
	return &s, nil
}

// GeneratePair makes one fresh key in dir, named role, as Generate makes
// each of PK, KEK and db: <role>.key (RSA-2048, PKCS#8 PEM, mode 0600)
// and a self-signed certificate <role>.crt with common name commonName,
// valid from now for 20 years. Other keys kept the same way (the update
// key, package updatekey) are made with it. dir is made with mode 0700
// if it does not exist. It refuses to write if a file LoadPair would read
// for role is there, and removes what it wrote when it fails. Its errors
// have no package prefix.
func GeneratePair(dir, role, commonName string, now time.Time, rand io.Reader) (Key, error) {
	if strings.TrimSpace(commonName) == "" {
		return Key{}, errors.New("the common name is empty: give the vendor's or product's name")
	}
	if rand == nil {
		rand = cryptorand.Reader
	}
	if err := refuseExisting(dir, "a key", role); err != nil {
		return Key{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Key{}, err
	}
	k, written, err := generateKey(dir, commonName, role, now, rand)
	if err != nil {
		for _, f := range written {
			os.Remove(f)
		}
		return Key{}, err
	}
	return k, nil
}

// refuseExisting fails if dir holds any file of roles' keys; what names
// what would be overwritten.
func refuseExisting(dir, what string, roles ...string) error {
	for _, role := range roles {
		for _, n := range append(KeyNames(role), CertNames(role)...) {
			p := filepath.Join(dir, n)
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s already exists: %s is never overwritten; choose an empty directory", p, what)
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// generateKey makes and writes one key and its certificate; it returns
// the files it wrote, also when it fails.
func generateKey(dir, cn, role string, now time.Time, rand io.Reader) (Key, []string, error) {
	key, err := rsa.GenerateKey(rand, minBits)
	if err != nil {
		return Key{}, nil, err
	}
	der, err := selfSigned(key, cn, now, rand)
	if err != nil {
		return Key{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Key{}, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Key{}, nil, err
	}
	var written []string
	for _, f := range []struct {
		name, typ string
		der       []byte
		mode      os.FileMode
	}{
		{KeyNames(role)[0], "PRIVATE KEY", pkcs8, 0o600},
		{CertNames(role)[0], "CERTIFICATE", der, 0o644},
	} {
		p := filepath.Join(dir, f.name)
		err := writeNew(p, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode)
		if err != nil {
			return Key{}, written, err
		}
		written = append(written, p)
	}
	return Key{Cert: cert, CertDER: der, Signer: key}, written, nil
}

// selfSigned returns a self-signed CA certificate for key. UEFI does not
// need the PK to sign the KEK or the KEK the db certificate: each
// variable's entries are trusted as they are.
func selfSigned(key *rsa.PrivateKey, cn string, now time.Time, rand io.Reader) ([]byte, error) {
	serial, err := randomSerial(rand)
	if err != nil {
		return nil, err
	}
	start := now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             start,
		NotAfter:              start.AddDate(validYears, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	return x509.CreateCertificate(rand, tmpl, tmpl, &key.PublicKey, key)
}

// randomSerial returns a positive serial number of 16 octets, 126 bits of
// them random: unpredictable, and within RFC 5280's 20 octets.
func randomSerial(rand io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // never zero, always 16 octets
	return new(big.Int).SetBytes(b), nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
