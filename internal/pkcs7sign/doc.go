// Package pkcs7sign builds and checks the one kind of CMS/PKCS#7 SignedData
// that UEFI Secure Boot needs: RSA PKCS#1 v1.5 with SHA-256, one signer,
// the signer's certificate embedded. Authenticode signatures of PE images
// (internal/authenticode) and the signatures of authenticated variable
// writes (internal/efiauth) are both made here.
//
// Output is a pure function of the inputs: the signing time is a parameter,
// never the clock, and RSA PKCS#1 v1.5 signatures are deterministic, so the
// same key, certificate, content and options give the same bytes. That is
// why this package exists: github.com/foxboron/go-uefi's pkcs7.SignPKCS7
// writes time.Now() into the signingTime attribute, and its Verify neither
// compares the messageDigest attribute with the content nor handles a
// signature without authenticated attributes (it dereferences nil).
//
// The ASN.1 is modelled once, as Go types in asn1.go marshalled and parsed
// with encoding/asn1 (which sorts SET OF on output), following RFC 2315
// (PKCS #7 v1.5, the version Authenticode and UEFI name) and RFC 5652
// (CMS, its successor; the same bytes for version 1 SignedData).
//
// Two details that are easy to get wrong:
//   - The messageDigest attribute covers only the contents octets of the
//     content's DER encoding, not its tag and length (RFC 2315 section 9.3);
//     for id-data that is the data itself. Authenticode relies on this: the
//     digest is over the SpcIndirectDataContent fields, not the SEQUENCE.
//   - Without authenticated attributes the RSA signature is over the
//     content digest directly (RFC 2315 section 9.4). UEFI variable
//     signatures are made that way by efitools' sign-efi-sig-list, and the
//     signing time then does not appear at all.
package pkcs7sign
