package efivar

import (
	"encoding/binary"
	"fmt"

	"github.com/plinth-os/plinth/internal/guid"
)

// Text forms follow UEFI 2.10 section 10.6 and what efibootmgr -v prints.

func (h HardDrive) String() string {
	switch {
	case h.PartitionFmt == PartitionFormatGPT && h.SignatureType == SignatureGUID:
		return fmt.Sprintf("HD(%d,GPT,%s,%#x,%#x)", h.PartitionNumber, h.PartUUID, h.PartitionStart, h.PartitionSize)
	case h.PartitionFmt == PartitionFormatMBR && h.SignatureType == SignatureMBR:
		return fmt.Sprintf("HD(%d,MBR,0x%08x,%#x,%#x)", h.PartitionNumber, h.MBRSignature, h.PartitionStart, h.PartitionSize)
	default:
		return fmt.Sprintf("HD(%d,%d,%d,%x,%#x,%#x)", h.PartitionNumber, h.PartitionFmt, h.SignatureType, h.RawSignature[:], h.PartitionStart, h.PartitionSize)
	}
}

func (f FilePath) String() string { return "File(" + f.Path + ")" }

// String knows the nodes firmware commonly puts in front of HD() or uses
// for built-in entries; anything else prints as Path(type,subtype,hex).
func (r RawNode) String() string {
	d := r.Data
	le16 := func(i int) uint16 { return binary.LittleEndian.Uint16(d[i:]) }
	le32 := func(i int) uint32 { return binary.LittleEndian.Uint32(d[i:]) }
	vendor := func(i int) guid.GUID { return guid.FromMixed(d[i : i+16]) }
	type key struct{ t, s uint8 }
	switch k := (key{r.NodeType, r.NodeSubType}); {
	case k == key{TypeEnd, SubTypeEndInstance} && len(d) == 0:
		return ","
	case k == key{TypeHardware, 0x01} && len(d) == 2:
		return fmt.Sprintf("Pci(%#x,%#x)", d[1], d[0])
	case k == key{TypeHardware, 0x04} && len(d) >= 16:
		return fmt.Sprintf("VenHw(%s%s)", vendor(0), hexSuffix(d[16:]))
	case k == key{TypeACPI, 0x01} && len(d) == 8:
		switch hid := le32(0); hid {
		case 0x0a0341d0:
			return fmt.Sprintf("PciRoot(%#x)", le32(4))
		case 0x0a0841d0:
			return fmt.Sprintf("PcieRoot(%#x)", le32(4))
		default:
			return fmt.Sprintf("Acpi(%s,%#x)", eisaID(hid), le32(4))
		}
	case k == key{TypeMessaging, 0x01} && len(d) == 4:
		return fmt.Sprintf("Ata(%d,%d,%d)", d[0], d[1], le16(2))
	case k == key{TypeMessaging, 0x02} && len(d) == 4:
		return fmt.Sprintf("Scsi(%d,%d)", le16(0), le16(2))
	case k == key{TypeMessaging, 0x05} && len(d) == 2:
		return fmt.Sprintf("USB(%d,%d)", d[0], d[1])
	case k == key{TypeMessaging, 0x0a} && len(d) >= 16:
		return fmt.Sprintf("VenMsg(%s%s)", vendor(0), hexSuffix(d[16:]))
	case k == key{TypeMessaging, 0x0b} && len(d) == 33:
		return fmt.Sprintf("MAC(%x,%#x)", d[0:6], d[32])
	case k == key{TypeMessaging, 0x12} && len(d) == 6:
		return fmt.Sprintf("Sata(%d,%d,%d)", le16(0), le16(2), le16(4))
	case k == key{TypeMessaging, 0x17} && len(d) == 12:
		return fmt.Sprintf("NVMe(%#x,%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X)", le32(0),
			d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11])
	case k == key{TypeMessaging, 0x18}:
		return fmt.Sprintf("Uri(%q)", d)
	case k == key{TypeMedia, 0x02} && len(d) == 20:
		return fmt.Sprintf("CDROM(%#x,%#x,%#x)", le32(0), binary.LittleEndian.Uint64(d[4:]), binary.LittleEndian.Uint64(d[12:]))
	case k == key{TypeMedia, 0x03} && len(d) >= 16:
		return fmt.Sprintf("VenMedia(%s%s)", vendor(0), hexSuffix(d[16:]))
	case k == key{TypeMedia, 0x06} && len(d) == 16:
		return fmt.Sprintf("FvFile(%s)", vendor(0))
	case k == key{TypeMedia, 0x07} && len(d) == 16:
		return fmt.Sprintf("FvVol(%s)", vendor(0))
	case k == key{TypeMedia, 0x08} && len(d) == 20:
		return fmt.Sprintf("Offset(%#x,%#x)", binary.LittleEndian.Uint64(d[4:]), binary.LittleEndian.Uint64(d[12:]))
	default:
		return fmt.Sprintf("Path(%d,%d,%x)", r.NodeType, r.NodeSubType, d)
	}
}

func hexSuffix(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return fmt.Sprintf(",%x", b)
}

// eisaID formats an ACPI _HID in EISA compressed form, e.g. PNP0A03: three
// 5-bit letters in the low 16 bits, the product number in the high ones.
func eisaID(hid uint32) string {
	v := hid & 0xffff
	return fmt.Sprintf("%c%c%c%04X", '@'+rune(v>>10&0x1f), '@'+rune(v>>5&0x1f), '@'+rune(v&0x1f), hid>>16)
}
