package efiauth

import (
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// Variable attributes of authenticated writes (UEFI 2.10 section 8.2.1).
const (
	AttrTimeBasedAuthenticatedWriteAccess uint32 = 0x00000020
	// AttrsAuthenticated is what PK, KEK and db are written with.
	AttrsAuthenticated = efivar.AttrsNVBSRT | AttrTimeBasedAuthenticatedWriteAccess
)

// GUIDs of UEFI 2.10: EFI_IMAGE_SECURITY_DATABASE_GUID (section 32.6.1),
// the vendor of db and dbx; EFI_CERT_X509_GUID (section 32.4.1), the type
// of a signature list of DER certificates; EFI_CERT_TYPE_PKCS7_GUID
// (section 32.2.4), the type of the signature in EFI_VARIABLE_AUTHENTICATION_2.
var (
	ImageSecurityDatabase = guid.MustParse("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
	certX509              = guid.MustParse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
	certTypePKCS7         = guid.MustParse("4aafd29d-68df-49ee-8aa9-347d375665a7")
)

// WIN_CERTIFICATE_UEFI_GUID (UEFI 2.10 section 32.2.4).
const (
	winCertRevision = 0x0200
	winCertTypeGUID = 0x0EF1 // WIN_CERT_TYPE_EFI_GUID
	winCertUEFIGUID = 8 + guid.Size
	efiTimeSize     = 16
	sigListHeader   = guid.Size + 12 // SignatureType, SignatureListSize, SignatureHeaderSize, SignatureSize
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
func DB() Variable { return Variable{Name: "db", Vendor: ImageSecurityDatabase} }

// Appending returns v written as an append.
func (v Variable) Appending() Variable { v.Append = true; return v }

// Attributes returns the attributes the write is made, and signed, with.
func (v Variable) Attributes() uint32 {
	if v.Append {
		return AttrsAuthenticated | efivar.AttrAppendWrite
	}
	return AttrsAuthenticated
}

// CertList returns one EFI_SIGNATURE_LIST of type EFI_CERT_X509_GUID per
// certificate (their sizes differ, and a list holds entries of one size),
// each entry owned by owner.
func CertList(owner guid.GUID, certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		// EFI_SIGNATURE_LIST: SignatureType, SignatureListSize,
		// SignatureHeaderSize (none for X.509), SignatureSize, then one
		// EFI_SIGNATURE_DATA: SignatureOwner, SignatureData.
		sigSize := guid.Size + len(c.Raw)
		b = appendMixed(b, certX509)
		b = binary.LittleEndian.AppendUint32(b, uint32(sigListHeader+sigSize))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(sigSize))
		b = appendMixed(b, owner)
		b = append(b, c.Raw...)
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
	name, err := ucs2(v.Name)
	if err != nil {
		return nil, err
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
	out = appendMixed(out, certTypePKCS7) // AuthInfo.CertType
	out = append(out, sig...)             // AuthInfo.CertData
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

// ucs2 encodes a variable name as little-endian UCS-2 without a NUL, as
// it is signed.
func ucs2(s string) ([]byte, error) {
	if s == "" || !utf8.ValidString(s) {
		return nil, fmt.Errorf("efiauth: bad variable name %q", s)
	}
	var b []byte
	for _, r := range s {
		if r == 0 || r > 0xffff || r >= 0xd800 && r <= 0xdfff {
			return nil, fmt.Errorf("efiauth: variable name %q is not UCS-2 without NUL", s)
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b, nil
}
