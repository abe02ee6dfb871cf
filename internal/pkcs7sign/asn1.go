package pkcs7sign

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
)

// Object identifiers (RFC 2315 section 14, RFC 5652 section 11, RFC 5754
// section 2 for SHA-256, RFC 8017 appendix A for rsaEncryption).
var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
)

// contentInfo is ContentInfo (RFC 2315 section 7, RFC 5652 section 3):
//
//	ContentInfo ::= SEQUENCE {
//	  contentType ContentType,
//	  content [0] EXPLICIT ANY DEFINED BY contentType OPTIONAL }
//
// Content is the [0] wrapper itself (class context-specific, constructed);
// its Bytes are the DER of the content. encoding/asn1 ignores "explicit" on
// a RawValue when marshalling, so the wrapper is written out by hand, the
// same way in both directions.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional,tag:0"`
}

// signedData is SignedData (RFC 2315 section 9.1, RFC 5652 section 5.1):
//
//	SignedData ::= SEQUENCE {
//	  version Version,                                  -- 1
//	  digestAlgorithms DigestAlgorithmIdentifiers,      -- SET OF
//	  contentInfo ContentInfo,
//	  certificates [0] IMPLICIT ExtendedCertificatesAndCertificates OPTIONAL,
//	  crls [1] IMPLICIT CertificateRevocationLists OPTIONAL,
//	  signerInfos SignerInfos }                         -- SET OF
//
// Certificates holds the [0] IMPLICIT SET OF Certificate: its Bytes are the
// certificates' DER, one after the other.
type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	ContentInfo      contentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

// signerInfo is SignerInfo (RFC 2315 section 9.2, RFC 5652 section 5.3):
//
//	SignerInfo ::= SEQUENCE {
//	  version Version,                                  -- 1
//	  issuerAndSerialNumber IssuerAndSerialNumber,
//	  digestAlgorithm DigestAlgorithmIdentifier,
//	  authenticatedAttributes [0] IMPLICIT Attributes OPTIONAL,
//	  digestEncryptionAlgorithm DigestEncryptionAlgorithmIdentifier,
//	  encryptedDigest EncryptedDigest,                  -- OCTET STRING
//	  unauthenticatedAttributes [1] IMPLICIT Attributes OPTIONAL }
//
// AuthenticatedAttributes is kept raw: the signature covers the DER of the
// attributes with the SET tag in place of [0] (RFC 2315 section 9.3), so
// verification needs the bytes exactly as they were signed.
type signerInfo struct {
	Version                   int
	IssuerAndSerialNumber     issuerAndSerialNumber
	DigestAlgorithm           pkix.AlgorithmIdentifier
	AuthenticatedAttributes   asn1.RawValue `asn1:"optional,tag:0"`
	DigestEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedDigest           []byte
	UnauthenticatedAttributes asn1.RawValue `asn1:"optional,tag:1"`
}

// issuerAndSerialNumber names the signer's certificate (RFC 2315 section
// 6.7). Issuer is the certificate's issuer Name exactly as encoded there.
type issuerAndSerialNumber struct {
	Issuer       asn1.RawValue
	SerialNumber *big.Int
}

// attribute is Attribute (RFC 5652 section 5.3; X.501):
//
//	Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }
type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// algorithm returns an AlgorithmIdentifier with NULL parameters, as
// Authenticode, sbsign and OpenSSL write them for SHA-256 and RSA.
func algorithm(oid asn1.ObjectIdentifier) pkix.AlgorithmIdentifier {
	return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}
}

// tagged wraps DER in a context-specific constructed tag [n]: the
// [0] EXPLICIT of ContentInfo and the [0] IMPLICIT SET OF of certificates
// and attributes all come out this way.
func tagged(n int, der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: n, IsCompound: true, Bytes: der}
}
