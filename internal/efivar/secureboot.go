package efivar

import (
	"errors"
	"fmt"

	"github.com/plinth-os/plinth/internal/guid"
)

// Secure Boot variables (UEFI 2.10 sections 3.3 and 32.3). PK and KEK
// belong to GlobalVariable, db and dbx to ImageSecurityDatabase.
var (
	// ImageSecurityDatabase is EFI_IMAGE_SECURITY_DATABASE_GUID, the
	// vendor GUID of db and dbx.
	ImageSecurityDatabase = guid.MustParse("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
	// ShimLock is SHIM_LOCK_GUID, the vendor GUID of shim's variables.
	ShimLock = guid.MustParse("605dab50-e046-4300-abb6-3dd810dd8b23")
	// CertX509 is EFI_CERT_X509_GUID: a signature list of DER certificates.
	CertX509 = guid.MustParse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
	// CertSHA256 is EFI_CERT_SHA256_GUID: a signature list of image digests.
	CertSHA256 = guid.MustParse("c1c41626-504c-4092-aca9-41f936934328")
	// CertTypePKCS7 is EFI_CERT_TYPE_PKCS7_GUID, the only certificate type
	// of an EFI_VARIABLE_AUTHENTICATION_2 header.
	CertTypePKCS7 = guid.MustParse("4aafd29d-68df-49ee-8aa9-347d375665a7")
)

// Names of the Secure Boot databases.
const (
	VarPK  = "PK"
	VarKEK = "KEK"
	VarDB  = "db"
	VarDBX = "dbx"
	// VarMokListRT is shim's Machine Owner Key list as the OS sees it:
	// shim copies the boot-services-only MokList into this volatile,
	// runtime-readable variable at every boot (shim's MokVars.txt). It
	// holds signature lists like db.
	VarMokListRT = "MokListRT"
)

// Attributes of authenticated variables (UEFI 2.10 section 8.2).
const (
	AttrTimeBasedAuthenticatedWriteAccess uint32 = 0x00000020

	// AttrsAuthenticated (0x27) is how PK, KEK and db are stored, and what
	// a write that replaces one of them is signed with.
	AttrsAuthenticated = AttrsNVBSRT | AttrTimeBasedAuthenticatedWriteAccess
	// AttrsAuthenticatedAppend (0x67) is what a write that appends to KEK
	// or db is signed with: the firmware adds the signature lists to the
	// variable instead of replacing it.
	AttrsAuthenticatedAppend = AttrsAuthenticated | AttrAppendWrite
)

// SecureBootState is what the firmware says about Secure Boot. The
// variables are one byte each, 1 or 0 (UEFI 2.10 section 3.3).
type SecureBootState struct {
	// Supported: the firmware has a SecureBoot variable. Firmware
	// without it cannot verify images at all.
	Supported bool
	// SecureBoot: the firmware verified this boot's images.
	SecureBoot bool
	// SetupMode: no platform key is enrolled, so Secure Boot variables
	// can be written without a signature from it.
	SetupMode bool
	// AuditMode and DeployedMode are the UEFI 2.5 modes; firmware that
	// predates them has neither variable, read as false.
	AuditMode    bool
	DeployedMode bool
}

// ReadSecureBootState reads SecureBoot, SetupMode, AuditMode and
// DeployedMode. A variable that does not exist reads as false; one that
// exists but is not a single 0 or 1 byte is an error, since it cannot be
// trusted either way.
func ReadSecureBootState(s Store) (SecureBootState, error) {
	var st SecureBootState
	for _, v := range []struct {
		name string
		dst  *bool
	}{
		{"SecureBoot", &st.SecureBoot}, {"SetupMode", &st.SetupMode},
		{"AuditMode", &st.AuditMode}, {"DeployedMode", &st.DeployedMode},
	} {
		val, found, err := readFlag(s, v.name)
		if err != nil {
			return SecureBootState{}, err
		}
		*v.dst = val
		if v.name == "SecureBoot" {
			st.Supported = found
		}
	}
	return st, nil
}

// readFlag reads a one-byte boolean variable of GlobalVariable.
func readFlag(s Store, name string) (val, found bool, err error) {
	_, data, err := s.Get(name, GlobalVariable)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, false, nil
	case err != nil:
		return false, false, err
	case len(data) != 1 || data[0] > 1:
		return false, true, fmt.Errorf("efivar: %s holds % x, want one byte 0 or 1", name, data)
	}
	return data[0] == 1, true, nil
}

// SecureBootVendor returns the vendor GUID of a Secure Boot database:
// ImageSecurityDatabase for db and dbx, GlobalVariable for PK and KEK,
// ShimLock for shim's MokListRT.
func SecureBootVendor(name string) (guid.GUID, error) {
	switch name {
	case VarPK, VarKEK:
		return GlobalVariable, nil
	case VarDB, VarDBX:
		return ImageSecurityDatabase, nil
	case VarMokListRT:
		return ShimLock, nil
	}
	return guid.GUID{}, fmt.Errorf("efivar: %q is not a Secure Boot database (PK, KEK, db, dbx, MokListRT)", name)
}
