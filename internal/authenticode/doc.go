// Package authenticode signs PE/COFF images (UKIs on systemd-stub, any
// EFI application) for UEFI Secure Boot, and verifies such signatures.
//
// Sign hashes the image as the Authenticode specification ("Windows
// Authenticode Portable Executable Signature Format", section "Calculating
// the PE Image Hash") and UEFI firmware (EDK2's DxeImageVerificationLib) do,
// wraps the SHA-256 hash in an SpcIndirectDataContent, signs that as PKCS#7
// SignedData (internal/pkcs7sign) and appends it as a WIN_CERTIFICATE
// (revision 0x0200, type WIN_CERT_TYPE_PKCS_SIGNED_DATA) in the attribute
// certificate table, which the Certificate Table data directory entry then
// points at. The image is first padded with zeros to a multiple of 8 bytes,
// and the entry is padded to one too, as the PE format requires of the
// table; the PE checksum is recomputed over the result. The signing time is
// a parameter, so the same image, key, certificate and time always give the
// same bytes.
//
// Already-signed images are refused (ErrSigned): adding a second signature
// or silently replacing the first are both easy to do by accident. To
// re-sign, call Unsign first, which drops the certificate table.
//
// Layout rule: the specification hashes the headers, then each section's
// raw data in file order, then whatever follows the last section; sbsign
// and osslsigncode hash the file front to back. The two agree only when
// section data is contiguous from SizeOfHeaders on, which is how linkers,
// ukify and Plinth's uki package lay images out. Other images are refused
// rather than signed with a hash that some verifiers compute differently.
//
// What is reused from github.com/foxboron/go-uefi, and what is not: its
// CreateSpcIndirectDataContent encodes the SpcIndirectDataContent the way
// signtool and sbsign do, and its OIDs are right, so both are used. Its
// signing path is not: pkcs7.SignPKCS7 stamps time.Now() into the
// signature; PECOFFBinary does not recompute the PE checksum, appends a
// second signature to a signed image without saying so, assumes the
// certificate table is at the end of the file without checking, and its
// Hash returns nil on a read error; its WIN_CERTIFICATE writer calls
// log.Fatal. Locating the checksum and the data directory entry is needed
// to write the signature anyway, and hashing from the same offsets is a few
// lines. go-uefi's Parse and Verify serve as an independent check in the
// tests.
package authenticode
