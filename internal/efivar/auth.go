package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/plinth-os/plinth/internal/guid"
)

// AuthStore is a Store that can also write authenticated variables, such
// as the Secure Boot databases. Efivarfs and MemStore are both.
type AuthStore interface {
	Store
	// SetAuthenticated writes auth, an EFI_VARIABLE_AUTHENTICATION_2
	// header followed by the variable's data (what sign-efi-sig-list
	// writes to a .auth file), with the attributes it was signed with.
	// With AttrAppendWrite the firmware appends the data to the variable
	// instead of replacing it. The firmware checks the signature: in
	// Setup Mode it accepts any, in User Mode it refuses one that the
	// enrolled keys did not make (EACCES from efivarfs).
	SetAuthenticated(name string, vendor guid.GUID, attrs uint32, auth []byte) error
}

var (
	_ AuthStore = (*Efivarfs)(nil)
	_ AuthStore = (*MemStore)(nil)
)

// EFI_VARIABLE_AUTHENTICATION_2 (UEFI 2.10 section 8.2.2):
//
//	TimeStamp  EFI_TIME                   16 bytes
//	AuthInfo   WIN_CERTIFICATE_UEFI_GUID  dwLength (UINT32, the whole AuthInfo),
//	                                      wRevision 0x0200, wCertificateType 0x0EF1,
//	                                      CertType EFI_CERT_TYPE_PKCS7_GUID,
//	                                      CertData (PKCS#7 SignedData, DER)
//
// and then the variable's data.
const (
	efiTimeLen        = 16
	winCertHeaderLen  = 8 + 16 // WIN_CERTIFICATE + CertType
	winCertRevision   = 0x0200
	winCertTypeEFIGUI = 0x0EF1
)

// Authenticated is an authenticated variable write, taken apart.
type Authenticated struct {
	TimeStamp [efiTimeLen]byte
	Signature []byte // PKCS#7 SignedData over name, vendor, attributes, time and data
	Data      []byte // the variable's data: for PK, KEK and db, signature lists
}

// ParseAuthenticated splits an authenticated write (a .auth file) into
// its header and data. It checks the layout, not the signature: that is
// the firmware's job.
func ParseAuthenticated(b []byte) (Authenticated, error) {
	if len(b) < efiTimeLen+winCertHeaderLen {
		return Authenticated{}, fmt.Errorf("efivar: authenticated variable of %d bytes is shorter than its header", len(b))
	}
	cert := b[efiTimeLen:]
	length := int64(binary.LittleEndian.Uint32(cert))
	rev := binary.LittleEndian.Uint16(cert[4:])
	typ := binary.LittleEndian.Uint16(cert[6:])
	switch {
	case length < winCertHeaderLen || length > int64(len(cert)):
		return Authenticated{}, fmt.Errorf("efivar: authentication length %d does not fit in %d bytes", length, len(cert))
	case rev != winCertRevision:
		return Authenticated{}, fmt.Errorf("efivar: WIN_CERTIFICATE revision %#04x, want %#04x", rev, winCertRevision)
	case typ != winCertTypeEFIGUI:
		return Authenticated{}, fmt.Errorf("efivar: WIN_CERTIFICATE type %#04x, want WIN_CERT_TYPE_EFI_GUID (%#04x)", typ, winCertTypeEFIGUI)
	case guid.FromMixed(cert[8:]) != CertTypePKCS7:
		return Authenticated{}, fmt.Errorf("efivar: certificate type %s, want EFI_CERT_TYPE_PKCS7_GUID", guid.FromMixed(cert[8:]))
	}
	a := Authenticated{Signature: slices.Clone(cert[winCertHeaderLen:length]), Data: slices.Clone(cert[length:])}
	copy(a.TimeStamp[:], b)
	return a, nil
}

// checkSetAuthenticated holds the checks every AuthStore does before an
// authenticated write.
func checkSetAuthenticated(name string, vendor guid.GUID, attrs uint32, auth []byte) (Authenticated, error) {
	if err := checkName(name); err != nil {
		return Authenticated{}, err
	}
	if attrs&^attrMask != 0 || attrs&AttrTimeBasedAuthenticatedWriteAccess == 0 {
		return Authenticated{}, fmt.Errorf("efivar: set %s: attributes %#x are not those of a time-based authenticated write", name, attrs)
	}
	a, err := ParseAuthenticated(auth)
	if err != nil {
		return Authenticated{}, fmt.Errorf("efivar: set %s: %w", name, err)
	}
	if len(a.Data) == 0 {
		// UEFI deletes a variable on a signed write without data.
		return Authenticated{}, fmt.Errorf("efivar: set %s: no data after the authentication header: that would delete the variable", name)
	}
	if v, err := SecureBootVendor(name); err == nil && v == vendor {
		if _, err := ParseSignatureLists(a.Data); err != nil {
			return Authenticated{}, fmt.Errorf("efivar: set %s: %w", name, err)
		}
	}
	return a, nil
}

// authWrite is what efivarfs is given for an authenticated write: the 4
// bytes of attributes, then the .auth content. efivarfs passes the
// attributes to SetVariable as they are, so EFI_VARIABLE_APPEND_WRITE
// in them is how an append is asked for (fs/efivarfs/file.c in Linux
// 6.1 ignores the file offset, so O_APPEND would mean nothing).
func authWrite(attrs uint32, auth []byte) []byte {
	buf := make([]byte, 4, 4+len(auth))
	binary.LittleEndian.PutUint32(buf, attrs)
	return append(buf, auth...)
}

// firmwareResult is what firmware stores after accepting an
// authenticated write whose data is data: the attributes without
// AttrAppendWrite, and the data appended to old (with AttrAppendWrite)
// or in its place. Unlike EDK2, which leaves out signatures already in
// db, an append here adds the lists as they are.
func firmwareResult(attrs uint32, old, data []byte) (uint32, []byte) {
	if attrs&AttrAppendWrite != 0 {
		return attrs &^ AttrAppendWrite, append(slices.Clone(old), data...)
	}
	return attrs, slices.Clone(data)
}

// SetAuthenticated writes the attributes and auth to the variable's file
// in one write, clearing the immutable flag that efivarfs sets on PK,
// KEK and db first. On a directory that is not efivarfs (tests) it
// stores what firmware would, without checking the signature.
func (e *Efivarfs) SetAuthenticated(name string, vendor guid.GUID, attrs uint32, auth []byte) error {
	a, err := checkSetAuthenticated(name, vendor, attrs, auth)
	if err != nil {
		return err
	}
	buf := authWrite(attrs, auth)
	if e.plain {
		_, old, err := e.Get(name, vendor)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		stored, data := firmwareResult(attrs, old, a.Data)
		buf = append(binary.LittleEndian.AppendUint32(nil, stored), data...)
	}
	p := e.path(name, vendor)
	if err := e.set(p, buf); err != nil {
		return fmt.Errorf("efivar: write %s: %w", p, err)
	}
	return nil
}

// SetAuthenticated stores what firmware in Setup Mode would: it does not
// check the signature.
func (m *MemStore) SetAuthenticated(name string, vendor guid.GUID, attrs uint32, auth []byte) error {
	a, err := checkSetAuthenticated(name, vendor, attrs, auth)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := VarRef{name, vendor}
	old, exists := m.vars[ref]
	stored, data := firmwareResult(attrs, old.data, a.Data)
	if exists && old.attrs != stored {
		return fmt.Errorf("efivar: set %s: attributes %#x differ from the existing %#x: firmware refuses that", ref, stored, old.attrs)
	}
	m.vars[ref] = memVar{attrs: stored, data: data}
	return nil
}
