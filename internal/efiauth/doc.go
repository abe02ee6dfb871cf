// Package efiauth makes the signed updates that enroll Secure Boot keys:
// EFI signature lists (UEFI 2.10 section 32.4.1) and time-based
// authenticated variable writes (section 8.2.2), serialized as the .auth
// files that efitools' sign-efi-sig-list and sbctl write: an
// EFI_VARIABLE_AUTHENTICATION_2 header followed by the new variable data.
//
// What is signed (UEFI 2.10 section 8.2.2, SetVariable, step 2) is the
// concatenation of
//
//	VariableName   the name as UCS-2, little-endian, without the NUL
//	VendorGuid     16 bytes, EFI_GUID (mixed-endian) layout
//	Attributes     UINT32 little-endian: NV|BS|RT|TIME_BASED_AUTHENTICATED_WRITE_ACCESS,
//	               plus APPEND_WRITE for an append
//	TimeStamp      the 16-byte EFI_TIME of the header (seconds precision;
//	               Pad1, Nanosecond, TimeZone, Daylight, Pad2 zero)
//	Data           the new data: here, EFI signature lists
//
// The signature is a PKCS#7 SignedData exactly as sign-efi-sig-list makes
// it (OpenSSL with PKCS7_DETACHED|PKCS7_NOATTR): SHA-256, RSA, content
// detached, no authenticated attributes, the signer's certificate
// embedded, and the bare SignedData rather than a ContentInfo, which the
// specification allows. With no signingTime attribute the output is a pure
// function of the inputs, and it is byte-for-byte what sign-efi-sig-list
// writes for the same key, data and timestamp (the tests check that).
//
// Enrollment never removes keys already present: KEK.auth and db.auth are
// append writes (EFI_VARIABLE_APPEND_WRITE), so firmware adds our lists to
// whatever KEK and db hold (in Setup Mode, usually nothing; on a machine
// that keeps the vendor's or Microsoft's keys, those stay). PK cannot be
// appended to: PK.auth replaces it and is signed by the new PK itself, as
// Setup Mode requires. Write db, then KEK, then PK: writing PK ends Setup
// Mode. The timestamp of a replacing write must be later than that of the
// variable's current value; append writes are not held to that.
//
// Why not github.com/foxboron/go-uefi's signature package: its
// SignEFIVariable stamps time.Now() into both the EFI_TIME and the
// PKCS#7 signingTime, and it and its serializers call log.Fatal on errors.
// Its types and readers serve the tests, as an independent parser of what
// we write. The lists are written here directly: they are a 28-byte header
// and the certificate.
package efiauth
