package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/plinth-os/plinth/internal/guid"
)

// The Secure Boot databases (PK, KEK, db, dbx) hold a sequence of
// EFI_SIGNATURE_LIST (UEFI 2.10 section 32.4.1), each:
//
//	SignatureType        EFI_GUID  (mixed-endian)
//	SignatureListSize    UINT32    the whole list, header included
//	SignatureHeaderSize  UINT32
//	SignatureSize        UINT32    each EFI_SIGNATURE_DATA
//	SignatureHeader      [SignatureHeaderSize]
//	Signatures           [n] EFI_SIGNATURE_DATA { SignatureOwner EFI_GUID; SignatureData [SignatureSize-16] }

const (
	sigListHeaderLen = 28
	sigOwnerLen      = 16
)

// SignatureList is one EFI_SIGNATURE_LIST.
type SignatureList struct {
	Type       guid.GUID // CertX509, CertSHA256, ...
	Header     []byte    // SignatureHeader; empty for every type UEFI defines
	Signatures []SignatureData
}

// SignatureData is one EFI_SIGNATURE_DATA: for CertX509 a DER
// certificate, for CertSHA256 a digest.
type SignatureData struct {
	Owner guid.GUID // who added it (the vendor's own GUID)
	Data  []byte
}

// ParseSignatureLists decodes a Secure Boot database's contents. Empty
// input is an empty database.
func ParseSignatureLists(b []byte) ([]SignatureList, error) {
	var lists []SignatureList
	for off := 0; off < len(b); {
		l, n, err := parseSignatureList(b[off:])
		if err != nil {
			return nil, fmt.Errorf("efivar: signature list at offset %d: %w", off, err)
		}
		lists = append(lists, l)
		off += n
	}
	return lists, nil
}

// parseSignatureList decodes the list at the start of b and returns its
// length.
func parseSignatureList(b []byte) (SignatureList, int, error) {
	if len(b) < sigListHeaderLen {
		return SignatureList{}, 0, fmt.Errorf("%d bytes, shorter than a list header", len(b))
	}
	listSize := int64(binary.LittleEndian.Uint32(b[16:]))
	headerSize := int64(binary.LittleEndian.Uint32(b[20:]))
	sigSize := int64(binary.LittleEndian.Uint32(b[24:]))
	body := listSize - sigListHeaderLen - headerSize
	switch {
	case listSize > int64(len(b)):
		return SignatureList{}, 0, fmt.Errorf("size %d runs past the end (%d bytes left)", listSize, len(b))
	case body < 0:
		return SignatureList{}, 0, fmt.Errorf("size %d is smaller than its header (%d + %d)", listSize, sigListHeaderLen, headerSize)
	case sigSize < sigOwnerLen:
		return SignatureList{}, 0, fmt.Errorf("signature size %d is smaller than the owner GUID", sigSize)
	case body%sigSize != 0:
		return SignatureList{}, 0, fmt.Errorf("%d bytes of signatures are not a multiple of the signature size %d", body, sigSize)
	}
	l := SignatureList{Type: guid.FromMixed(b), Header: append([]byte(nil), b[sigListHeaderLen:sigListHeaderLen+headerSize]...)}
	for p := sigListHeaderLen + headerSize; p < listSize; p += sigSize {
		s := b[p : p+sigSize]
		l.Signatures = append(l.Signatures, SignatureData{Owner: guid.FromMixed(s), Data: append([]byte(nil), s[sigOwnerLen:]...)})
	}
	return l, int(listSize), nil
}

// EncodeSignatureList encodes l. Every signature of a list has the same
// size, so X.509 certificates of different lengths need a list each.
func EncodeSignatureList(l SignatureList) ([]byte, error) {
	if len(l.Signatures) == 0 {
		return nil, errors.New("efivar: a signature list needs at least one signature")
	}
	dataLen := len(l.Signatures[0].Data)
	for _, s := range l.Signatures {
		if len(s.Data) != dataLen {
			return nil, fmt.Errorf("efivar: signatures of %d and %d bytes in one list", dataLen, len(s.Data))
		}
	}
	sigSize := sigOwnerLen + dataLen
	size := sigListHeaderLen + len(l.Header) + len(l.Signatures)*sigSize
	b := make([]byte, sigListHeaderLen, size)
	l.Type.PutMixed(b)
	binary.LittleEndian.PutUint32(b[16:], uint32(size))
	binary.LittleEndian.PutUint32(b[20:], uint32(len(l.Header)))
	binary.LittleEndian.PutUint32(b[24:], uint32(sigSize))
	b = append(b, l.Header...)
	for _, s := range l.Signatures {
		owner := s.Owner.Mixed()
		b = append(append(b, owner[:]...), s.Data...)
	}
	return b, nil
}

// X509Certificates returns the DER certificates in the CertX509 lists of
// lists, in order.
func X509Certificates(lists []SignatureList) [][]byte {
	var certs [][]byte
	for _, l := range lists {
		if l.Type != CertX509 {
			continue
		}
		for _, s := range l.Signatures {
			certs = append(certs, s.Data)
		}
	}
	return certs
}

// ReadSignatureLists reads the Secure Boot database name (PK, KEK, db or
// dbx) from s. A database that does not exist is empty: in Setup Mode
// there is no PK, and firmware without keys has no KEK or db.
func ReadSignatureLists(s Store, name string) ([]SignatureList, error) {
	vendor, err := SecureBootVendor(name)
	if err != nil {
		return nil, err
	}
	_, data, err := s.Get(name, vendor)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	lists, err := ParseSignatureLists(data)
	if err != nil {
		return nil, fmt.Errorf("efivar: %s: %w", name, err)
	}
	return lists, nil
}
