// Package updatekey is a product's update key: the RSA private key that
// signs its update bundles (package bundle) and the certificate the
// runtime images carry to check them (productspec.Updates.Certificates).
// Whoever holds the private key can push software to every machine of
// the product, and without it no machine can be updated (see Warning).
//
// An update key is a directory holding one certificate, whichever of
//
//	update.crt  update.pem  update.cer  update.der
//
// exists, and one private key, whichever of
//
//	update.key  update.key.pem  update.key.der
//
// exists: the names, encodings, key sizes and checks of a Secure Boot key
// (package sbkeys, whose loader and generator this package uses with the
// role "update"). Keeping it apart from the Secure Boot keys lets a
// vendor sign updates without being able to sign what the firmware
// boots, and sign images without being able to push them to machines.
package updatekey

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/sbkeys"
)

// Role is the base name of the key's files: update.crt, update.key.
const Role = "update"

// CertFile and KeyFile are the files Generate writes.
const (
	CertFile = Role + ".crt"
	KeyFile  = Role + ".key"
)

// Warning is what a command says when it makes an update key.
const Warning = "Whoever holds this private key can push software to every machine of the product: " +
	"each machine installs what it signs. " +
	"If the key is lost, those machines can never be updated again (they trust only this key's certificate): keep a backup. " +
	"Keep it offline or in a secret store, never in a source repository, a build log or an image."

// Key is an update key: the certificate the runtime trusts and the
// private key that signs bundles.
type Key struct {
	Cert   *x509.Certificate
	Signer *rsa.PrivateKey
}

// CertPEM returns the certificate in PEM, as the runtime carries it.
func (k *Key) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Cert.Raw})
}

// ErrMissing matches (errors.Is) Load's error when the directory or one
// of its files does not exist, so that a command can add how it makes a
// new key.
var ErrMissing = errors.New("updatekey: update key missing")

// missingError is an error that is ErrMissing without saying so in its
// text, which already says what is missing.
type missingError struct{ msg string }

func (e *missingError) Error() string        { return e.msg }
func (e *missingError) Is(target error) bool { return target == ErrMissing }

// CommonName is the common name Generate gives the certificate of
// product's update key.
func CommonName(product string) string { return product + " update signing" }

// Load reads the update key in dir and checks that the private key is
// RSA of 2048 to 4096 bits, can be read by its owner only and matches the
// certificate, and that the certificate is valid at now.
func Load(dir string, now time.Time) (*Key, error) {
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, os.ErrNotExist):
		return nil, &missingError{fmt.Sprintf("updatekey: update key directory %s does not exist: %s", dir, newKeyHint(dir))}
	case err != nil:
		return nil, fmt.Errorf("updatekey: update key directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("updatekey: update key %s is not a directory: give the directory that holds %s and %s", dir, CertFile, KeyFile)
	}
	k, err := sbkeys.LoadPair(dir, Role, now)
	switch {
	case errors.Is(err, sbkeys.ErrMissing):
		return nil, &missingError{fmt.Sprintf("updatekey: %v: copy the product's update key there, or %s", err, newKeyHint(dir))}
	case err != nil:
		return nil, fmt.Errorf("updatekey: %w", err)
	}
	return &Key{Cert: k.Cert, Signer: k.Signer}, nil
}

// newKeyHint says how to make an update key by hand; commands that make
// one add their own way (see ErrMissing).
func newKeyHint(dir string) string {
	return fmt.Sprintf("make a new key: openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 7300 -subj '/CN=Vendor update signing/' -keyout %s -out %s, "+
		"and chmod 600 the key (machines that trust another key will not install what a new one signs)",
		filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile))
}

// Generate makes a new update key for product in dir: update.key
// (RSA-2048, PKCS#8 PEM, mode 0600) and update.crt, self-signed, with
// common name CommonName(product), valid from now for 20 years. dir is
// made with mode 0700 if it does not exist. Generate refuses to write if
// any file Load would read is already there. rand (nil: crypto/rand)
// gives the serial number.
func Generate(dir, product string, now time.Time, rand io.Reader) (*Key, error) {
	if strings.TrimSpace(product) == "" {
		return nil, errors.New("updatekey: generate: the product name is empty: the certificate is named after it")
	}
	k, err := sbkeys.GeneratePair(dir, Role, CommonName(product), now, rand)
	if err != nil {
		return nil, fmt.Errorf("updatekey: generate: %w", err)
	}
	return &Key{Cert: k.Cert, Signer: k.Signer}, nil
}
