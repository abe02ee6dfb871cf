// Package sbenroll is the installer's side of Secure Boot: the keys an
// installer image carries (KeyDir and its files, which mkiso writes),
// the decision whether to enroll them (Decide: the answers' secure-boot
// policy, the firmware's state, the keys), and the enrollment itself
// (Enroll).
//
// The rules it keeps:
//
//   - Keys are only enrolled in Setup Mode; in User Mode Decide never
//     plans an enrollment and Enroll refuses one.
//   - No key is ever removed: db and KEK are appended to (their .auth
//     files are signed with EFI_VARIABLE_APPEND_WRITE) and PK, written
//     last, is the only variable replaced; in Setup Mode there is none.
//   - Order: db, then KEK, then PK. Writing PK ends Setup Mode, after
//     which the firmware accepts only writes signed by the new keys, so
//     everything else must be in place before it.
//   - Decide runs before any disk is touched and is where a
//     secure-boot: require install is refused; Enroll runs after the disk
//     is installed and verified, so a failed install leaves the firmware
//     as it was.
//
// The appliance does not link this package: an installed system has no
// business changing the firmware's keys.
package sbenroll

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
)

// KeyDir is where an installer image holds its Secure Boot keys: mkiso
// puts the files below there in the installer's initramfs when the
// product has keys. An image without the directory is unsigned.
const KeyDir = "/etc/plinth/secureboot"

// The files of KeyDir. The .auth files are what sign-efi-sig-list
// writes: an EFI_VARIABLE_AUTHENTICATION_2 and the signature lists.
const (
	// PKAuthFile holds our PK, self-signed, for a plain write
	// (attributes efivar.AttrsAuthenticated, 0x27).
	PKAuthFile = "PK.auth"
	// KEKAuthFile holds our KEK, signed by PK, for an append write
	// (efivar.AttrsAuthenticatedAppend, 0x67).
	KEKAuthFile = "KEK.auth"
	// KEKMicrosoftAuthFile is KEKAuthFile with Microsoft's KEK CA too.
	KEKMicrosoftAuthFile = "KEK-microsoft.auth"
	// DBAuthFile holds our db certificate, signed by KEK, for an append
	// write (0x67).
	DBAuthFile = "db.auth"
	// DBMicrosoftAuthFile is DBAuthFile with Microsoft's UEFI CA and
	// Windows Production PCA too.
	DBMicrosoftAuthFile = "db-microsoft.auth"
	// PKCertFile, KEKCertFile and DBCertFile are our certificates, DER.
	PKCertFile  = "PK.der"
	KEKCertFile = "KEK.der"
	DBCertFile  = "db.der"
)

// Files lists every file KeyDir holds.
func Files() []string {
	return []string{PKAuthFile, KEKAuthFile, KEKMicrosoftAuthFile, DBAuthFile, DBMicrosoftAuthFile, PKCertFile, KEKCertFile, DBCertFile}
}

// Keys are an installer image's Secure Boot keys, read and checked.
type Keys struct {
	Dir string
	// PK, KEK and DB are our certificates.
	PK, KEK, DB *x509.Certificate
	auth        map[string]authFile // by file name
}

// authFile is one .auth file and the certificates it enrolls.
type authFile struct {
	raw   []byte
	certs []*x509.Certificate
}

// authContents says which of our certificates each .auth file must hold,
// and whether it holds others too (Microsoft's).
var authContents = []struct {
	file   string
	ours   string // certificate file
	others bool   // holds certificates besides ours
}{
	{PKAuthFile, PKCertFile, false},
	{KEKAuthFile, KEKCertFile, false},
	{KEKMicrosoftAuthFile, KEKCertFile, true},
	{DBAuthFile, DBCertFile, false},
	{DBMicrosoftAuthFile, DBCertFile, true},
}

// LoadKeys reads and checks the key directory dir. A directory that does
// not exist is an unsigned image: (nil, nil). One that misses a file, or
// whose files do not fit together, is a damaged image: an *Error with
// code secure-boot-keys, found before any disk is touched.
func LoadKeys(dir string) (*Keys, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	k := &Keys{Dir: dir, auth: map[string]authFile{}}
	certs := map[string]*x509.Certificate{}
	for _, name := range []string{PKCertFile, KEKCertFile, DBCertFile} {
		c, err := readCert(filepath.Join(dir, name))
		if err != nil {
			return nil, keysErr("%w", err)
		}
		certs[name] = c
	}
	k.PK, k.KEK, k.DB = certs[PKCertFile], certs[KEKCertFile], certs[DBCertFile]
	for _, a := range authContents {
		f, err := readAuth(filepath.Join(dir, a.file))
		if err != nil {
			return nil, keysErr("%w", err)
		}
		if err := checkAuthCerts(a.file, f.certs, certs[a.ours], a.others); err != nil {
			return nil, keysErr("%w", err)
		}
		k.auth[a.file] = f
	}
	return k, nil
}

func keysErr(format string, args ...any) error {
	return &Error{Code: errcode.SecureBootKeys, Err: fmt.Errorf("sbenroll: the installer image's Secure Boot keys: "+format, args...)}
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// readAuth reads a .auth file and the certificates its signature lists
// hold.
func readAuth(path string) (authFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return authFile{}, err
	}
	a, err := efivar.ParseAuthenticated(raw)
	if err != nil {
		return authFile{}, fmt.Errorf("%s: %w", path, err)
	}
	lists, err := efivar.ParseSignatureLists(a.Data)
	if err != nil {
		return authFile{}, fmt.Errorf("%s: %w", path, err)
	}
	f := authFile{raw: raw}
	for _, der := range efivar.X509Certificates(lists) {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return authFile{}, fmt.Errorf("%s: a certificate in it: %w", path, err)
		}
		f.certs = append(f.certs, c)
	}
	return f, nil
}

// checkAuthCerts checks that a .auth file enrolls ours (PK: only ours)
// and, for the Microsoft variants, more.
func checkAuthCerts(file string, certs []*x509.Certificate, ours *x509.Certificate, others bool) error {
	if !containsCert(certs, ours) {
		return fmt.Errorf("%s does not hold %s (%s)", file, subject(ours), strings.Join(subjects(certs), ", "))
	}
	switch {
	case file == PKAuthFile && len(certs) != 1:
		return fmt.Errorf("%s holds %d certificates; a platform key is one", file, len(certs))
	case others && len(certs) < 2:
		return fmt.Errorf("%s holds only %s, not Microsoft's certificates", file, subject(ours))
	}
	return nil
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range certs {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// subject names a certificate for people: its common name.
func subject(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

func subjects(certs []*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = subject(c)
	}
	return out
}

// file returns the content of a .auth file, with its size and digest as
// a plan records them.
func (k *Keys) file(name string) (authFile, int64, string, bool) {
	f, ok := k.auth[name]
	if !ok {
		return authFile{}, 0, "", false
	}
	sum := sha256.Sum256(f.raw)
	return f, int64(len(f.raw)), hex.EncodeToString(sum[:]), true
}

// Error is a refusal or failure with the code of its error event.
type Error struct {
	Code errcode.Code
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Code returns the error event code of err, "" if it has none from here.
func Code(err error) errcode.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
