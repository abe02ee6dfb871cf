package pkcs7sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
)

// Content is what a SignedData signs: its type, the bytes that the
// messageDigest covers, and the DER that is embedded unless the signature
// is detached. Make one with Data or Typed.
type Content struct {
	typ      asn1.ObjectIdentifier
	digested []byte
	der      []byte
}

// Data is content of type id-data (RFC 2315 section 8): the octets are
// digested as they are and embedded as an OCTET STRING.
func Data(b []byte) Content {
	der, _ := asn1.Marshal(b) // an OCTET STRING always encodes
	return Content{typ: oidData, digested: b, der: der}
}

// Typed is content of another type, given as its complete DER encoding.
// Only the contents octets are digested (RFC 2315 section 9.3).
func Typed(typ asn1.ObjectIdentifier, der []byte) (Content, error) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil {
		return Content{}, fmt.Errorf("pkcs7sign: content of type %v: %w", typ, err)
	}
	if len(rest) != 0 {
		return Content{}, fmt.Errorf("pkcs7sign: content of type %v: %d bytes after the DER element", typ, len(rest))
	}
	return Content{typ: typ, digested: v.Bytes, der: der}, nil
}

// Options shape the SignedData. The zero value (plus SigningTime) is what
// Authenticode wants: content embedded, contentType, messageDigest and
// signingTime attributes, wrapped in a ContentInfo.
type Options struct {
	// SigningTime goes into the signingTime attribute (UTC, whole
	// seconds). It must be set unless NoSigningTime or NoAttributes.
	SigningTime time.Time
	// NoSigningTime leaves out the signingTime attribute.
	NoSigningTime bool
	// NoAttributes leaves out all authenticated attributes: the signature
	// is then over the content digest (RFC 2315 section 9.4).
	NoAttributes bool
	// Detached leaves the content out of the SignedData; the verifier
	// rebuilds it (UEFI authenticated variables).
	Detached bool
	// SignedDataOnly returns the SignedData itself rather than a
	// ContentInfo around it. UEFI 2.10 section 8.2.2 accepts both for
	// variables; sign-efi-sig-list writes this form.
	SignedDataOnly bool
}

// Sign returns the DER of a SignedData over c by key, whose certificate
// cert is embedded and named as the signer. key must be the RSA key of
// cert; the digest is SHA-256 and the signature RSA PKCS#1 v1.5.
func Sign(c Content, key crypto.Signer, cert *x509.Certificate, o Options) ([]byte, error) {
	pub, err := rsaKey(key, cert)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(c.digested)
	si, signed, err := newSignerInfo(c.typ, digest[:], cert, o)
	if err != nil {
		return nil, err
	}
	sig, err := signDigest(key, pub, signed)
	if err != nil {
		return nil, err
	}
	si.EncryptedDigest = sig
	sd := signedData{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{algorithm(oidSHA256)},
		ContentInfo:      contentInfo{ContentType: c.typ},
		Certificates:     tagged(0, cert.Raw),
		SignerInfos:      []signerInfo{si},
	}
	if !o.Detached {
		sd.ContentInfo.Content = tagged(0, c.der)
	}
	return encode(sd, o.SignedDataOnly)
}

// rsaKey checks that key is the RSA key of cert.
func rsaKey(key crypto.Signer, cert *x509.Certificate) (*rsa.PublicKey, error) {
	if key == nil || cert == nil {
		return nil, errors.New("pkcs7sign: key and certificate are required")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("pkcs7sign: key is %T, only RSA keys are supported", key.Public())
	}
	if !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("pkcs7sign: key does not belong to certificate %q", cert.Subject)
	}
	return pub, nil
}

// newSignerInfo returns the SignerInfo without its signature, and the
// SHA-256 digest the signature must cover: that of the authenticated
// attributes if there are any, else the content digest.
func newSignerInfo(typ asn1.ObjectIdentifier, digest []byte, cert *x509.Certificate, o Options) (signerInfo, []byte, error) {
	si := signerInfo{
		Version:                   1,
		IssuerAndSerialNumber:     issuerAndSerialNumber{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, SerialNumber: cert.SerialNumber},
		DigestAlgorithm:           algorithm(oidSHA256),
		DigestEncryptionAlgorithm: algorithm(oidRSAEncryption),
	}
	if o.NoAttributes {
		return si, digest, nil
	}
	set, err := authenticatedAttributes(typ, digest, o)
	if err != nil {
		return signerInfo{}, nil, err
	}
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(set, &v); err != nil {
		return signerInfo{}, nil, fmt.Errorf("pkcs7sign: attributes: %w", err)
	}
	si.AuthenticatedAttributes = tagged(0, v.Bytes)
	h := sha256.Sum256(set)
	return si, h[:], nil
}

// attrValue is an attribute with one value, before encoding.
type attrValue struct {
	typ   asn1.ObjectIdentifier
	value any
}

// authenticatedAttributes returns the DER of the attributes as a SET OF,
// sorted as DER requires: this encoding, tag SET included, is what is
// signed (RFC 2315 section 9.3).
func authenticatedAttributes(typ asn1.ObjectIdentifier, digest []byte, o Options) ([]byte, error) {
	values := []attrValue{{oidContentType, typ}, {oidMessageDigest, digest}}
	if !o.NoSigningTime {
		if o.SigningTime.IsZero() {
			return nil, errors.New("pkcs7sign: signing time not set (or set NoSigningTime)")
		}
		// encoding/asn1 writes UTCTime for 1950 to 2049 and
		// GeneralizedTime otherwise, as RFC 5652 section 11.3 asks.
		values = append(values, attrValue{oidSigningTime, o.SigningTime.UTC().Truncate(time.Second)})
	}
	attrs := make([]attribute, 0, len(values))
	for _, v := range values {
		der, err := asn1.Marshal(v.value)
		if err != nil {
			return nil, fmt.Errorf("pkcs7sign: attribute %v: %w", v.typ, err)
		}
		attrs = append(attrs, attribute{Type: v.typ, Values: []asn1.RawValue{{FullBytes: der}}})
	}
	set, err := asn1.MarshalWithParams(attrs, "set")
	if err != nil {
		return nil, fmt.Errorf("pkcs7sign: attributes: %w", err)
	}
	return set, nil
}

// signDigest signs a SHA-256 digest and checks the result, so that a
// signer that does not do PKCS#1 v1.5 (a PSS-only token, say) fails here
// and not in firmware.
func signDigest(key crypto.Signer, pub *rsa.PublicKey, digest []byte) ([]byte, error) {
	sig, err := key.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("pkcs7sign: sign: %w", err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig); err != nil {
		return nil, fmt.Errorf("pkcs7sign: signer made no RSA PKCS#1 v1.5 signature: %w", err)
	}
	return sig, nil
}

// encode marshals sd, in a ContentInfo unless bare.
func encode(sd signedData, bare bool) ([]byte, error) {
	der, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("pkcs7sign: encode SignedData: %w", err)
	}
	if bare {
		return der, nil
	}
	der, err = asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: tagged(0, der)})
	if err != nil {
		return nil, fmt.Errorf("pkcs7sign: encode ContentInfo: %w", err)
	}
	return der, nil
}
