package authenticode

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	goauth "github.com/foxboron/go-uefi/authenticode"

	"github.com/plinth-os/plinth/internal/pkcs7sign"
)

// WIN_CERTIFICATE (PE format, "The Attribute Certificate Table").
const (
	winCertHeader    = 8      // dwLength, wRevision, wCertificateType
	winCertRevision  = 0x0200 // WIN_CERT_REVISION_2_0
	winCertTypePKCS7 = 0x0002 // WIN_CERT_TYPE_PKCS_SIGNED_DATA
	maxImageSize     = math.MaxUint32
)

// ErrSigned is returned by Sign for an image that already has a
// certificate table.
var ErrSigned = errors.New("authenticode: image is already signed")

// ErrNotSigned is returned by Verify for an image without signatures.
var ErrNotSigned = errors.New("authenticode: image is not signed")

// Sign returns pe signed by key, whose certificate cert is embedded in the
// signature, with signingTime in the signingTime attribute. The input is
// not modified. It refuses a signed image with an error wrapping ErrSigned.
func Sign(pe []byte, key crypto.Signer, cert *x509.Certificate, signingTime time.Time) ([]byte, error) {
	l, err := parseLayout(pe)
	if err != nil {
		return nil, err
	}
	if l.signed(pe) {
		return nil, fmt.Errorf("%w (call Unsign first to replace the signature)", ErrSigned)
	}
	out := make([]byte, align8(len(pe)))
	copy(out, pe)
	l.certStart = len(out)
	sig, err := signDigest(l.digest(out), key, cert, signingTime)
	if err != nil {
		return nil, err
	}
	out = appendWinCertificate(out, sig)
	if len(out) > maxImageSize {
		return nil, fmt.Errorf("authenticode: signed image would be %d bytes, over 4 GiB", len(out))
	}
	binary.LittleEndian.PutUint32(out[l.certDir:], uint32(l.certStart))
	binary.LittleEndian.PutUint32(out[l.certDir+4:], uint32(len(out)-l.certStart))
	l.putChecksum(out)
	return out, nil
}

// Unsign returns pe without its attribute certificate table: the
// directory entry zeroed, the table cut off, the checksum recomputed. The
// zero padding a signer added in front of the table stays. An unsigned
// image comes back unchanged (as a copy).
func Unsign(pe []byte) ([]byte, error) {
	l, err := parseLayout(pe)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), pe[:l.certStart]...)
	if !l.signed(pe) {
		return out, nil
	}
	clear(out[l.certDir : l.certDir+dirEntry])
	l.putChecksum(out)
	return out, nil
}

// signDigest returns the Authenticode PKCS#7 SignedData for an image hash:
// SpcIndirectDataContent as content, contentType, messageDigest and
// signingTime as authenticated attributes.
func signDigest(digest []byte, key crypto.Signer, cert *x509.Certificate, t time.Time) ([]byte, error) {
	fields, err := goauth.CreateSpcIndirectDataContent(digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("authenticode: SpcIndirectDataContent: %w", err)
	}
	// go-uefi returns the fields; the content is their SEQUENCE.
	der, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: fields})
	if err != nil {
		return nil, fmt.Errorf("authenticode: SpcIndirectDataContent: %w", err)
	}
	c, err := pkcs7sign.Typed(goauth.OIDSpcIndirectDataContent, der)
	if err != nil {
		return nil, fmt.Errorf("authenticode: %w", err)
	}
	sig, err := pkcs7sign.Sign(c, key, cert, pkcs7sign.Options{SigningTime: t})
	if err != nil {
		return nil, fmt.Errorf("authenticode: %w", err)
	}
	return sig, nil
}

// appendWinCertificate appends a WIN_CERTIFICATE holding sig, padded with
// zeros to a multiple of 8 bytes; dwLength does not count the padding.
func appendWinCertificate(b, sig []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(winCertHeader+len(sig)))
	b = binary.LittleEndian.AppendUint16(b, winCertRevision)
	b = binary.LittleEndian.AppendUint16(b, winCertTypePKCS7)
	b = append(b, sig...)
	return append(b, make([]byte, align8(len(b))-len(b))...)
}
