package ovmfvars

import (
	"crypto/x509"
	"fmt"
	"strings"
	"unicode"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
)

// MicrosoftOwner is the SignatureOwner of the entries Microsoft's
// certificates are enrolled under (EDK2's gMicrosoftVendorGuid); the
// distribution's own PK/KEK entries carry other owners.
func MicrosoftOwner() guid.GUID { return guid.MustParse("77fa9abd-0359-4d32-bd60-28f4e78f784b") }

// CertFile is one certificate of a Secure Boot database with the file
// name it is kept under.
type CertFile struct {
	Var  string // "KEK" or "db"
	Name string // see FileName
	DER  []byte
	Cert *x509.Certificate
}

// MicrosoftCertificates returns the X.509 certificates that the KEK and db
// variables of a VARS image hold under Microsoft's owner GUID, KEK first,
// each in store order.
func MicrosoftCertificates(image []byte) ([]CertFile, error) {
	vars, err := Parse(image)
	if err != nil {
		return nil, err
	}
	var files []CertFile
	for _, db := range []struct {
		name   string
		vendor guid.GUID
	}{{efivar.VarKEK, efivar.GlobalVariable}, {efivar.VarDB, efivar.ImageSecurityDatabase}} {
		v, err := Lookup(vars, db.name, db.vendor)
		if err != nil {
			return nil, err
		}
		certs, err := microsoftCerts(db.name, v.Data)
		if err != nil {
			return nil, err
		}
		files = append(files, certs...)
	}
	return files, nil
}

func microsoftCerts(name string, data []byte) ([]CertFile, error) {
	lists, err := efivar.ParseSignatureLists(data)
	if err != nil {
		return nil, fmt.Errorf("ovmfvars: %s: %w", name, err)
	}
	var files []CertFile
	for _, l := range lists {
		if l.Type != efivar.CertX509 {
			continue
		}
		for _, s := range l.Signatures {
			if s.Owner != MicrosoftOwner() {
				continue
			}
			c, err := x509.ParseCertificate(s.Data)
			if err != nil {
				return nil, fmt.Errorf("ovmfvars: %s: certificate owned by Microsoft: %w", name, err)
			}
			files = append(files, CertFile{Var: name, Name: FileName(c), DER: s.Data, Cert: c})
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("ovmfvars: %s holds no X.509 certificate owned by Microsoft (%s)", name, MicrosoftOwner())
	}
	return files, nil
}

// FileName names a certificate the way Microsoft's download links do
// ("MicCorKEKCA2011_2011-06-24.der"): each word of the subject's common name
// cut to its first three characters, numbers kept whole, then the day the
// certificate became valid (UTC).
func FileName(c *x509.Certificate) string {
	var b strings.Builder
	for _, w := range strings.Fields(c.Subject.CommonName) {
		r := []rune(w)
		if len(r) > 3 && !allDigits(r) {
			r = r[:3]
		}
		b.WriteString(string(r))
	}
	return b.String() + "_" + c.NotBefore.UTC().Format("2006-01-02") + ".der"
}

func allDigits(r []rune) bool {
	for _, c := range r {
		if !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
