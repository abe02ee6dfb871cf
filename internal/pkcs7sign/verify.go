package pkcs7sign

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
)

// Signed is a parsed SignedData with one signer, as Sign makes them.
type Signed struct {
	// ContentType is the type of the signed content.
	ContentType asn1.ObjectIdentifier
	// Content is the DER of the embedded content, nil when detached.
	Content []byte
	// Certificates are the embedded certificates.
	Certificates []*x509.Certificate
	// Signer is the embedded certificate the signer info names.
	Signer *x509.Certificate
	// SigningTime is the signingTime attribute, zero when absent.
	SigningTime time.Time

	si    signerInfo
	attrs []attribute
}

// Parse parses a SignedData, bare or in a ContentInfo. It checks the
// structure, not the signature: see Verify and ChainsTo.
func Parse(der []byte) (*Signed, error) {
	sd, err := parseSignedData(der)
	if err != nil {
		return nil, err
	}
	if sd.Version != 1 || len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("pkcs7sign: want SignedData version 1 with one signer, got version %d with %d", sd.Version, len(sd.SignerInfos))
	}
	s := &Signed{ContentType: sd.ContentInfo.ContentType, si: sd.SignerInfos[0]}
	if len(sd.ContentInfo.Content.FullBytes) != 0 {
		s.Content = sd.ContentInfo.Content.Bytes
	}
	if s.Certificates, err = x509.ParseCertificates(sd.Certificates.Bytes); err != nil {
		return nil, fmt.Errorf("pkcs7sign: certificates: %w", err)
	}
	if s.Signer = s.findSigner(); s.Signer == nil {
		return nil, errors.New("pkcs7sign: the signer's certificate is not embedded")
	}
	if err := s.parseAttributes(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseSignedData accepts a ContentInfo of type signedData or a bare
// SignedData; zero bytes after it are tolerated, as WIN_CERTIFICATE
// lengths are sometimes rounded up.
func parseSignedData(der []byte) (signedData, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err == nil && ci.ContentType.Equal(oidSignedData) {
		if !allZero(rest) {
			return signedData{}, errors.New("pkcs7sign: data after the ContentInfo")
		}
		der = ci.Content.Bytes
	}
	var sd signedData
	rest, err := asn1.Unmarshal(der, &sd)
	if err != nil {
		return signedData{}, fmt.Errorf("pkcs7sign: parse SignedData: %w", err)
	}
	if !allZero(rest) {
		return signedData{}, errors.New("pkcs7sign: data after the SignedData")
	}
	return sd, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// findSigner returns the embedded certificate named by issuer and serial.
func (s *Signed) findSigner() *x509.Certificate {
	id := s.si.IssuerAndSerialNumber
	for _, c := range s.Certificates {
		if bytes.Equal(c.RawIssuer, id.Issuer.FullBytes) && id.SerialNumber != nil && c.SerialNumber.Cmp(id.SerialNumber) == 0 {
			return c
		}
	}
	return nil
}

// parseAttributes decodes the authenticated attributes, if any, and
// picks out the signing time.
func (s *Signed) parseAttributes() error {
	if len(s.si.AuthenticatedAttributes.FullBytes) == 0 {
		return nil
	}
	if _, err := asn1.UnmarshalWithParams(s.attributeSet(), &s.attrs, "set"); err != nil {
		return fmt.Errorf("pkcs7sign: authenticated attributes: %w", err)
	}
	if v, ok := s.attribute(oidSigningTime); ok {
		if _, err := asn1.Unmarshal(v, &s.SigningTime); err != nil {
			return fmt.Errorf("pkcs7sign: signing time: %w", err)
		}
	}
	return nil
}

// attributeSet is the DER the signature covers: the attributes with the
// SET tag in place of [0] IMPLICIT.
func (s *Signed) attributeSet() []byte {
	der, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: s.si.AuthenticatedAttributes.Bytes})
	return der
}

// attribute returns the DER of the single value of attribute typ.
func (s *Signed) attribute(typ asn1.ObjectIdentifier) ([]byte, bool) {
	for _, a := range s.attrs {
		if a.Type.Equal(typ) && len(a.Values) == 1 {
			return a.Values[0].FullBytes, true
		}
	}
	return nil, false
}

// Verify checks the signature of the signer, and the messageDigest and
// contentType attributes if present, against the content: the embedded
// one, or detached (which must then be given, and only then).
func (s *Signed) Verify(detached []byte) error {
	digested, err := s.digested(detached)
	if err != nil {
		return err
	}
	if !s.si.DigestAlgorithm.Algorithm.Equal(oidSHA256) {
		return fmt.Errorf("pkcs7sign: digest algorithm %v is not SHA-256", s.si.DigestAlgorithm.Algorithm)
	}
	digest := sha256.Sum256(digested)
	signed, err := s.signedDigest(digest[:])
	if err != nil {
		return err
	}
	return s.checkSignature(signed)
}

// digested returns the bytes the content digest covers: the contents
// octets of the embedded content (RFC 2315 section 9.3), or detached.
func (s *Signed) digested(detached []byte) ([]byte, error) {
	switch {
	case s.Content != nil && detached != nil:
		return nil, errors.New("pkcs7sign: content is embedded, detached content given too")
	case detached != nil:
		return detached, nil
	case s.Content == nil:
		return nil, errors.New("pkcs7sign: content is detached and was not given")
	}
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(s.Content, &v); err != nil {
		return nil, fmt.Errorf("pkcs7sign: content: %w", err)
	}
	return v.Bytes, nil
}

// signedDigest checks the attributes against the content digest and
// returns the digest the signature covers.
func (s *Signed) signedDigest(digest []byte) ([]byte, error) {
	if len(s.si.AuthenticatedAttributes.FullBytes) == 0 {
		return digest, nil
	}
	want, _ := asn1.Marshal(digest)
	if got, ok := s.attribute(oidMessageDigest); !ok || !bytes.Equal(got, want) {
		return nil, errors.New("pkcs7sign: messageDigest does not match the content")
	}
	want, _ = asn1.Marshal(s.ContentType)
	if got, ok := s.attribute(oidContentType); !ok || !bytes.Equal(got, want) {
		return nil, errors.New("pkcs7sign: contentType attribute does not match the content")
	}
	h := sha256.Sum256(s.attributeSet())
	return h[:], nil
}

func (s *Signed) checkSignature(digest []byte) error {
	alg := s.si.DigestEncryptionAlgorithm.Algorithm
	if !alg.Equal(oidRSAEncryption) && !alg.Equal(oidSHA256WithRSA) {
		return fmt.Errorf("pkcs7sign: signature algorithm %v is not RSA", alg)
	}
	pub, ok := s.Signer.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("pkcs7sign: signer key is %T, not RSA", s.Signer.PublicKey)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, s.si.EncryptedDigest); err != nil {
		return fmt.Errorf("pkcs7sign: signature of %q: %w", s.Signer.Subject, err)
	}
	return nil
}

// ChainsTo reports (nil) whether the signer is one of roots or is issued,
// through the embedded certificates, by one of them. Like UEFI firmware
// (EDK2 verifies with partial chains and no time checks), it ignores
// validity periods: Secure Boot has no trusted clock.
func (s *Signed) ChainsTo(roots []*x509.Certificate) error {
	cur := s.Signer
	for range len(s.Certificates) + 1 {
		for _, r := range roots {
			if bytes.Equal(cur.Raw, r.Raw) || cur.CheckSignatureFrom(r) == nil {
				return nil
			}
		}
		if cur = s.issuerOf(cur); cur == nil {
			break
		}
	}
	return fmt.Errorf("pkcs7sign: signer %q does not chain to a trusted certificate", s.Signer.Subject)
}

// issuerOf returns the embedded certificate that issued c, if any.
func (s *Signed) issuerOf(c *x509.Certificate) *x509.Certificate {
	for _, p := range s.Certificates {
		if !bytes.Equal(p.Raw, c.Raw) && bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil {
			return p
		}
	}
	return nil
}
