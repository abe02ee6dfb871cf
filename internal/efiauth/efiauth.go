package efiauth

import (
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// The GUIDs and attributes of Secure Boot variables (EFI_IMAGE_SECURITY_
// DATABASE_GUID, EFI_CERT_X509_GUID, EFI_CERT_TYPE_PKCS7_GUID,
// TIME_BASED_AUTHENTICATED_WRITE_ACCESS) are package efivar's, which
// reads and writes the variables these updates are for.

// WIN_CERTIFICATE_UEFI_GUID (UEFI 2.10 section 32.2.4).
const (
	winCertRevision = 0x0200
	winCertTypeGUID = 0x0EF1 // WIN_CERT_TYPE_EFI_GUID
	winCertUEFIGUID = 8 + guid.Size
	efiTimeSize     = 16
)

// Variable is a Secure Boot variable and how it is written.
type Variable struct {
	Name   string
	Vendor guid.GUID
	// Append adds the new signature lists to the variable's current
	// ones (EFI_VARIABLE_APPEND_WRITE) instead of replacing them.
	Append bool
}

// PK is the Platform Key variable (replaced on write).
func PK() Variable { return Variable{Name: "PK", Vendor: efivar.GlobalVariable} }

// KEK is the Key Exchange Key database (replaced on write; see Appending).
func KEK() Variable { return Variable{Name: "KEK", Vendor: efivar.GlobalVariable} }

// DB is the allowed signature database, db (replaced on write; see Appending).
func DB() Variable { return Variable{Name: "db", Vendor: efivar.ImageSecurityDatabase} }

// Appending returns v written as an append.
func (v Variable) Appending() Variable { v.Append = true; return v }

// Attributes returns the attributes the write is made, and signed, with.
func (v Variable) Attributes() uint32 {
	if v.Append {
		return efivar.AttrsAuthenticatedAppend
	}
	return efivar.AttrsAuthenticated
}

// CertList returns one EFI_SIGNATURE_LIST of type EFI_CERT_X509_GUID per
// certificate (their sizes differ, and a list holds entries of one size),
// each entry owned by owner.
func CertList(owner guid.GUID, certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		l, err := efivar.EncodeSignatureList(efivar.SignatureList{Type: efivar.CertX509,
			Signatures: []efivar.SignatureData{{Owner: owner, Data: c.Raw}}})
		if err != nil {
			panic(err) // a list of one signature always encodes
		}
		b = append(b, l...)
	}
	return b
}

func appendMixed(b []byte, g guid.GUID) []byte {
	m := g.Mixed()
	return append(b, m[:]...)
}

// SignedUpdate returns the authenticated write of data to v at time ts,
// signed by key with certificate cert: EFI_VARIABLE_AUTHENTICATION_2
// followed by data, the content of an .auth file. ts is taken in UTC at
// seconds precision; its year must be within 1900 to 9999.
func SignedUpdate(v Variable, data []byte, ts time.Time, key crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	if v.Name == "" {
		return nil, fmt.Errorf("efiauth: bad variable name %q", v.Name)
	}
	name, err := efivar.VariableName(v.Name)
	if err != nil {
		return nil, fmt.Errorf("efiauth: variable name %q is not UCS-2 without NUL: %w", v.Name, err)
	}
	stamp, err := efiTime(ts)
	if err != nil {
		return nil, fmt.Errorf("efiauth: %s: %w", v.Name, err)
	}
	signed := append(name, appendMixed(nil, v.Vendor)...)
	signed = binary.LittleEndian.AppendUint32(signed, v.Attributes())
	signed = append(append(signed, stamp...), data...)
	sig, err := pkcs7sign.Sign(pkcs7sign.Data(signed), key, cert,
		pkcs7sign.Options{NoAttributes: true, Detached: true, SignedDataOnly: true})
	if err != nil {
		return nil, fmt.Errorf("efiauth: sign %s: %w", v.Name, err)
	}
	out := append([]byte(nil), stamp...) // EFI_VARIABLE_AUTHENTICATION_2.TimeStamp
	out = binary.LittleEndian.AppendUint32(out, uint32(winCertUEFIGUID+len(sig)))
	out = binary.LittleEndian.AppendUint16(out, winCertRevision)
	out = binary.LittleEndian.AppendUint16(out, winCertTypeGUID)
	out = appendMixed(out, efivar.CertTypePKCS7) // AuthInfo.CertType
	out = append(out, sig...)                    // AuthInfo.CertData
	return append(out, data...), nil
}

// efiTime encodes t as the EFI_TIME of a time-based authenticated write
// (UEFI 2.10 sections 8.3 and 8.2.2): UTC fields, the rest zero.
func efiTime(t time.Time) ([]byte, error) {
	t = t.UTC()
	if t.Year() < 1900 || t.Year() > 9999 {
		return nil, fmt.Errorf("timestamp %v outside EFI_TIME's years 1900 to 9999", t)
	}
	b := binary.LittleEndian.AppendUint16(make([]byte, 0, efiTimeSize), uint16(t.Year()))
	b = append(b, byte(t.Month()), byte(t.Day()), byte(t.Hour()), byte(t.Minute()), byte(t.Second()))
	return append(b, make([]byte, efiTimeSize-len(b))...), nil // Pad1, Nanosecond, TimeZone, Daylight, Pad2
}
