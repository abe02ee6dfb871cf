package authenticode

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"

	goauth "github.com/foxboron/go-uefi/authenticode"

	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// oidSHA256 is id-sha256 (RFC 5754 section 2).
var oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

// spcIndirectDataContent is the content of an Authenticode signature
// (Authenticode specification, "SpcIndirectDataContent"):
//
//	SpcIndirectDataContent ::= SEQUENCE {
//	  data          SpcAttributeTypeAndOptionalValue,  -- SpcPeImageData for PE images
//	  messageDigest DigestInfo }                       -- the image hash
type spcIndirectDataContent struct {
	Data struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"optional"`
	}
	MessageDigest struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
}

// Verify reports (nil) whether pe carries a valid Authenticode signature
// by a certificate that is one of roots or chains to one of them through
// the certificates embedded in the signature. As UEFI firmware does, one
// valid signature is enough, and validity periods are not checked.
func Verify(pe []byte, roots ...*x509.Certificate) error {
	if len(roots) == 0 {
		return errors.New("authenticode: verify: no trusted certificates given")
	}
	l, err := parseLayout(pe)
	if err != nil {
		return err
	}
	if !l.signed(pe) {
		return ErrNotSigned
	}
	sigs, err := winCertificates(pe[l.certStart:])
	if err != nil {
		return err
	}
	digest := l.digest(pe)
	var errs []error
	for i, sig := range sigs {
		err := verifySignature(sig, digest, roots)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("signature %d: %w", i, err))
	}
	return fmt.Errorf("authenticode: no valid signature: %w", errors.Join(errs...))
}

// winCertificates splits the attribute certificate table into the
// PKCS#7 signatures of its WIN_CERTIFICATE entries.
func winCertificates(table []byte) ([][]byte, error) {
	var sigs [][]byte
	for len(table) >= winCertHeader {
		n := int(binary.LittleEndian.Uint32(table))
		rev, typ := binary.LittleEndian.Uint16(table[4:]), binary.LittleEndian.Uint16(table[6:])
		if n < winCertHeader || n > len(table) {
			return nil, fmt.Errorf("authenticode: WIN_CERTIFICATE length %d does not fit the %d bytes left", n, len(table))
		}
		if rev != winCertRevision || typ != winCertTypePKCS7 {
			return nil, fmt.Errorf("authenticode: WIN_CERTIFICATE revision %#x type %#x, want %#x %#x", rev, typ, winCertRevision, winCertTypePKCS7)
		}
		sigs = append(sigs, table[winCertHeader:n])
		table = table[min(align8(n), len(table)):]
	}
	if len(sigs) == 0 {
		return nil, ErrNotSigned
	}
	return sigs, nil
}

// verifySignature checks one PKCS#7 signature against the image hash.
func verifySignature(der, digest []byte, roots []*x509.Certificate) error {
	s, err := pkcs7sign.Parse(der)
	if err != nil {
		return err
	}
	if !s.ContentType.Equal(goauth.OIDSpcIndirectDataContent) {
		return fmt.Errorf("content type %v is not SpcIndirectDataContent", s.ContentType)
	}
	if err := s.Verify(nil); err != nil {
		return err
	}
	var idc spcIndirectDataContent
	if _, err := asn1.Unmarshal(s.Content, &idc); err != nil {
		return fmt.Errorf("SpcIndirectDataContent: %w", err)
	}
	switch {
	case !idc.Data.Type.Equal(goauth.OIDSpcPEImageDataObjID):
		return fmt.Errorf("signed data of type %v is not a PE image", idc.Data.Type)
	case !idc.MessageDigest.Algorithm.Algorithm.Equal(oidSHA256):
		return fmt.Errorf("image hash algorithm %v is not SHA-256", idc.MessageDigest.Algorithm.Algorithm)
	case !bytes.Equal(idc.MessageDigest.Digest, digest):
		return errors.New("image hash does not match: the image was changed after signing")
	}
	return s.ChainsTo(roots)
}
