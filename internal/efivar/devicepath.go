package efivar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/guid"
)

// Device path node types and subtypes (UEFI 2.10 section 10.3).
const (
	TypeHardware  uint8 = 0x01
	TypeACPI      uint8 = 0x02
	TypeMessaging uint8 = 0x03
	TypeMedia     uint8 = 0x04
	TypeBBS       uint8 = 0x05
	TypeEnd       uint8 = 0x7f

	SubTypeHardDrive uint8 = 0x01 // Media
	SubTypeFilePath  uint8 = 0x04 // Media

	SubTypeEndInstance uint8 = 0x01 // End: another device path instance follows
	SubTypeEndEntire   uint8 = 0xff // End: end of the whole device path
)

// HD() partition formats and signature types (UEFI 2.10 section 10.3.5.1).
const (
	PartitionFormatMBR uint8 = 0x01
	PartitionFormatGPT uint8 = 0x02

	SignatureNone uint8 = 0x00
	SignatureMBR  uint8 = 0x01
	SignatureGUID uint8 = 0x02
)

const (
	nodeHeaderLen    = 4  // Type, SubType, Length (uint16 LE, header included)
	hardDriveNodeLen = 42 // header + 4 + 8 + 8 + 16 + 1 + 1
)

// endEntire is the End of Entire Device Path node: type 0x7F, subtype
// 0xFF, length 4.
var endEntire = [nodeHeaderLen]byte{TypeEnd, SubTypeEndEntire, 4, 0}

// Node is one device path node. HardDrive and FilePath are the nodes we
// create; every other node is kept as a RawNode so that decoding and
// re-encoding a firmware-made path loses nothing.
type Node interface {
	// Type and SubType identify the node (UEFI 2.10 section 10.3.1).
	Type() uint8
	SubType() uint8
	// String is the UEFI text form, e.g. File(\EFI\BOOT\BOOTX64.EFI).
	String() string
	// appendBody appends the node's data, without the 4-byte header.
	appendBody(b []byte) ([]byte, error)
}

// DevicePath is one device path instance: nodes up to, not including, the
// End of Entire Device Path node, which encoding adds and decoding removes.
type DevicePath []Node

// HardDrive is the HD() media node: a partition of the disk the firmware
// found the path on. Start and Size are in logical blocks of that disk.
type HardDrive struct {
	PartitionNumber uint32 // 1-based; GPT entry index or MBR slot
	PartitionStart  uint64 // first LBA
	PartitionSize   uint64 // number of blocks
	PartitionFmt    uint8  // PartitionFormatMBR or PartitionFormatGPT
	SignatureType   uint8  // SignatureNone, SignatureMBR or SignatureGUID
	// The 16-byte Partition Signature field (UEFI 2.10 table 10-46), by
	// SignatureType: the GPT unique partition GUID (PARTUUID, stored
	// mixed-endian) for SignatureGUID, the 32-bit MBR disk signature
	// (little-endian, then zeros) for SignatureMBR, and the bytes as they
	// were for any other type, so a foreign entry survives a rewrite.
	PartUUID     guid.GUID
	MBRSignature uint32
	RawSignature [16]byte
}

// GPTHardDrive returns the HD() node of GPT partition part.
func GPTHardDrive(part uint32, start, size uint64, partUUID guid.GUID) HardDrive {
	return HardDrive{
		PartitionNumber: part,
		PartitionStart:  start,
		PartitionSize:   size,
		PartUUID:        partUUID,
		PartitionFmt:    PartitionFormatGPT,
		SignatureType:   SignatureGUID,
	}
}

func (HardDrive) Type() uint8    { return TypeMedia }
func (HardDrive) SubType() uint8 { return SubTypeHardDrive }

func (h HardDrive) appendBody(b []byte) ([]byte, error) {
	b = binary.LittleEndian.AppendUint32(b, h.PartitionNumber)
	b = binary.LittleEndian.AppendUint64(b, h.PartitionStart)
	b = binary.LittleEndian.AppendUint64(b, h.PartitionSize)
	b = append(b, h.signature()...)
	return append(b, h.PartitionFmt, h.SignatureType), nil
}

// signature encodes the Partition Signature field for h.SignatureType.
func (h HardDrive) signature() []byte {
	switch h.SignatureType {
	case SignatureGUID:
		m := h.PartUUID.Mixed()
		return m[:]
	case SignatureMBR:
		return binary.LittleEndian.AppendUint32(make([]byte, 0, 16), h.MBRSignature)[:16]
	default:
		return h.RawSignature[:]
	}
}

// setSignature decodes the Partition Signature field b for h.SignatureType.
func (h *HardDrive) setSignature(b []byte) {
	switch h.SignatureType {
	case SignatureGUID:
		h.PartUUID = guid.FromMixed(b)
	case SignatureMBR:
		h.MBRSignature = binary.LittleEndian.Uint32(b)
	default:
		copy(h.RawSignature[:], b)
	}
}

// FilePath is the File() media node: a path on the file system of the
// partition named by the preceding node. UEFI paths use backslashes.
type FilePath struct {
	Path string
}

func (FilePath) Type() uint8    { return TypeMedia }
func (FilePath) SubType() uint8 { return SubTypeFilePath }

func (f FilePath) appendBody(b []byte) ([]byte, error) {
	b, err := appendUCS2(b, f.Path)
	if err != nil {
		return nil, fmt.Errorf("File(): %w", err)
	}
	return b, nil
}

// RawNode is any node this package does not model; Data is the node body
// after the 4-byte header. An End Instance node (0x7F, 0x01) separating
// multi-instance paths is also a RawNode.
type RawNode struct {
	NodeType    uint8
	NodeSubType uint8
	Data        []byte
}

func (r RawNode) Type() uint8    { return r.NodeType }
func (r RawNode) SubType() uint8 { return r.NodeSubType }

func (r RawNode) appendBody(b []byte) ([]byte, error) {
	if r.NodeType == TypeEnd && r.NodeSubType == SubTypeEndEntire {
		// It would end the path early; DevicePath adds the End node itself.
		return nil, errors.New("End Entire node inside a device path")
	}
	return append(b, r.Data...), nil
}

// NormalizeLoaderPath converts a loader path given the Unix way
// (/EFI/plinth/plinth.efi) to the UEFI form (\EFI\plinth\plinth.efi) and
// checks that it is absolute.
func NormalizeLoaderPath(p string) (string, error) {
	q := strings.ReplaceAll(p, "/", `\`)
	if !strings.HasPrefix(q, `\`) {
		return "", fmt.Errorf(`efivar: loader path %q must be absolute on the ESP, starting with \ or /`, p)
	}
	if strings.Contains(q, `\\`) || strings.HasSuffix(q, `\`) {
		return "", fmt.Errorf("efivar: loader path %q has an empty path element", p)
	}
	return q, nil
}

// DiskBootPath returns the usual boot entry path HD(...)/File(loader),
// converting forward slashes in loader to backslashes.
func DiskBootPath(hd HardDrive, loader string) (DevicePath, error) {
	p, err := NormalizeLoaderPath(loader)
	if err != nil {
		return nil, err
	}
	return DevicePath{hd, FilePath{Path: p}}, nil
}

// LoaderPath returns the concatenated File() nodes of dp (UEFI allows a
// path to be split over several File nodes), or "" if dp has none.
func (dp DevicePath) LoaderPath() string {
	var sb strings.Builder
	for _, n := range dp {
		if f, ok := n.(FilePath); ok {
			sb.WriteString(f.Path)
		}
	}
	return sb.String()
}

// String returns the UEFI text form, nodes separated by "/".
func (dp DevicePath) String() string {
	parts := make([]string, len(dp))
	for i, n := range dp {
		parts[i] = n.String()
	}
	return strings.Join(parts, "/")
}

// EncodeDevicePath encodes dp followed by the End of Entire Device Path node.
func EncodeDevicePath(dp DevicePath) ([]byte, error) {
	return appendDevicePath(nil, dp)
}

func appendDevicePath(b []byte, dp DevicePath) ([]byte, error) {
	for i, n := range dp {
		if n == nil {
			return nil, fmt.Errorf("efivar: device path node %d is nil", i)
		}
		start := len(b)
		b = append(b, n.Type(), n.SubType(), 0, 0)
		var err error
		if b, err = n.appendBody(b); err != nil {
			return nil, fmt.Errorf("efivar: device path node %d: %w", i, err)
		}
		l := len(b) - start
		if l > 0xffff {
			return nil, fmt.Errorf("efivar: device path node %d is %d bytes, more than a node can hold", i, l)
		}
		binary.LittleEndian.PutUint16(b[start+2:], uint16(l))
	}
	return append(b, endEntire[:]...), nil
}

// DecodeDevicePath decodes one device path that must fill b exactly and
// end with the End of Entire Device Path node.
func DecodeDevicePath(b []byte) (DevicePath, error) {
	dp, n, err := decodeDevicePath(b)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, fmt.Errorf("efivar: device path: %d bytes after the End node", len(b)-n)
	}
	return dp, nil
}

// decodeDevicePath decodes nodes up to and including the first End of
// Entire Device Path node, returning the bytes consumed.
func decodeDevicePath(b []byte) (DevicePath, int, error) {
	dp := DevicePath{}
	off := 0
	for {
		if len(b)-off < nodeHeaderLen {
			return nil, 0, fmt.Errorf("efivar: device path: no End node (node header at offset %d truncated)", off)
		}
		typ, sub := b[off], b[off+1]
		l := int(binary.LittleEndian.Uint16(b[off+2:]))
		if l < nodeHeaderLen || l > len(b)-off {
			return nil, 0, fmt.Errorf("efivar: device path: node %#02x/%#02x at offset %d has bad length %d", typ, sub, off, l)
		}
		body := b[off+nodeHeaderLen : off+l]
		off += l
		if typ == TypeEnd && sub == SubTypeEndEntire {
			return dp, off, nil
		}
		n, err := decodeNode(typ, sub, body)
		if err != nil {
			return nil, 0, fmt.Errorf("efivar: device path: node at offset %d: %w", off-l, err)
		}
		dp = append(dp, n)
	}
}

func decodeNode(typ, sub uint8, body []byte) (Node, error) {
	switch {
	case typ == TypeMedia && sub == SubTypeHardDrive:
		if len(body) != hardDriveNodeLen-nodeHeaderLen {
			return nil, fmt.Errorf("HD() node is %d bytes, want %d", len(body)+nodeHeaderLen, hardDriveNodeLen)
		}
		h := HardDrive{
			PartitionNumber: binary.LittleEndian.Uint32(body[0:]),
			PartitionStart:  binary.LittleEndian.Uint64(body[4:]),
			PartitionSize:   binary.LittleEndian.Uint64(body[12:]),
			PartitionFmt:    body[36],
			SignatureType:   body[37],
		}
		h.setSignature(body[20:36])
		return h, nil
	case typ == TypeMedia && sub == SubTypeFilePath:
		if len(body)%2 != 0 {
			return nil, fmt.Errorf("File() node has odd length %d", len(body)+nodeHeaderLen)
		}
		// Lenient: take the text up to the first NUL, or all of it if
		// firmware forgot the terminator.
		s, _, _ := decodeUCS2(body)
		return FilePath{Path: s}, nil
	default:
		return RawNode{NodeType: typ, NodeSubType: sub, Data: append([]byte(nil), body...)}, nil
	}
}
