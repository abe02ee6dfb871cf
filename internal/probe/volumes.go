package probe

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Linux md RAID superblocks (include/uapi/linux/raid/md_p.h). Version
// 0.90, mdp_super_t, is 4 KiB of host-endian words in the last 64 KiB-
// aligned 64 KiB of the device. Version 1, mdp_superblock_1, is
// little-endian: 8 KiB before the 4 KiB-aligned end (1.0), at 0 (1.1) or
// at 4 KiB (1.2).
const (
	mdMagic       = 0xA92B4EFC
	mdReserved    = 64 << 10
	md0Major      = 4  // u32
	md0Minor      = 8  // u32
	md0Patch      = 12 // u32
	md0UUID0      = 20 // u32 set_uuid0; set_uuid1-3 at md0UUID1
	md0Size       = 32 // u32, KiB of each component used
	md0UUID1      = 52
	md1SetUUID    = 16  // [16]
	md1SetName    = 32  // [32]
	md1SuperOff   = 144 // u64, sectors: where this superblock is
	md1Csum       = 216 // u32
	md1MaxDev     = 220 // u32, entries of dev_roles
	md1Fixed      = 256 // bytes before dev_roles (u16 each)
	md1MaxDevices = 1920
)

func probeMD(d *disk) (Finding, bool) {
	if d.size > mdReserved {
		if f, ok := md090(d, d.size&^(mdReserved-1)-mdReserved); ok {
			return f, true
		}
		if f, ok := md1(d, d.size&^4095-8192, "1.0"); ok {
			return f, true
		}
	}
	if f, ok := md1(d, 0, "1.1"); ok {
		return f, true
	}
	return md1(d, 4096, "1.2")
}

// md090 checks a version 0.90 superblock at off, written in the byte
// order of the machine that made it.
func md090(d *disk, off int64) (Finding, bool) {
	b := d.at(off, 64)
	if b == nil {
		return Finding{}, false
	}
	var order binary.ByteOrder = binary.LittleEndian
	if be.Uint32(b) == mdMagic {
		order = binary.BigEndian
	} else if le.Uint32(b) != mdMagic {
		return Finding{}, false
	}
	word := func(at int) uint32 { return order.Uint32(b[at:]) }
	size := int64(word(md0Size)) << 10
	if word(md0Major) != 0 || d.size < size+mdReserved || off < size {
		return Finding{}, false
	}
	// blkid prints the four UUID words big-endian; before 0.90 only the
	// first was used.
	var uuid [16]byte
	be.PutUint32(uuid[0:], word(md0UUID0))
	if word(md0Minor) >= 90 {
		for i := 1; i < 4; i++ {
			be.PutUint32(uuid[4*i:], word(md0UUID1+4*(i-1)))
		}
	}
	return Finding{
		Kind: RAID, Name: LinuxRAID, Offset: off,
		Version: fmt.Sprintf("%d.%d.%d", word(md0Major), word(md0Minor), word(md0Patch)),
		UUID:    uuidString(uuid[:]),
	}, true
}

// md1 checks a version 1 superblock at off: it must say it is there, and
// its checksum must match.
func md1(d *disk, off int64, version string) (Finding, bool) {
	b := d.at(off, md1Fixed)
	if b == nil || le.Uint32(b) != mdMagic || le.Uint32(b[4:]) != 1 || le.Uint64(b[md1SuperOff:]) != uint64(off)>>9 {
		return Finding{}, false
	}
	n := le.Uint32(b[md1MaxDev:])
	if n > md1MaxDevices {
		return Finding{}, false
	}
	if sb := d.at(off, md1Fixed+2*int(n)); sb == nil || md1Checksum(sb) != le.Uint32(b[md1Csum:]) {
		return Finding{}, false
	}
	return Finding{
		Kind: RAID, Name: LinuxRAID, Offset: off, Version: version,
		Label: cString(b[md1SetName : md1SetName+32]),
		UUID:  uuidString(b[md1SetUUID : md1SetUUID+16]),
	}, true
}

// md1Checksum is calc_sb_1_csum: the sum of the little-endian words (and
// a trailing half-word) with sb_csum taken as zero, folded to 32 bits.
func md1Checksum(sb []byte) uint32 {
	var sum uint64
	i := 0
	for ; i+4 <= len(sb); i += 4 {
		if i != md1Csum {
			sum += uint64(le.Uint32(sb[i:]))
		}
	}
	if i+2 <= len(sb) {
		sum += uint64(le.Uint16(sb[i:]))
	}
	return uint32(sum&0xFFFFFFFF + sum>>32)
}

// The LVM2 physical volume label (lvm2 lib/label/label.h, struct
// label_header, and lib/format_text/layout.h, struct pv_header): in one of
// the first four sectors, "LABELONE", the sector number it is in, a CRC
// of the rest of the sector, the type "LVM2 001" at 24 and the PV UUID at
// 32.
const (
	lvmLabelSectors = 4
	lvmSectorXL     = 8  // u64
	lvmCRC          = 16 // u32 over bytes 20-511
	lvmType         = 24
	lvmUUID         = 32 // [32] characters
	lvmCRCInit      = 0xF597A6CF
)

func probeLVM2(d *disk) (Finding, bool) {
	for s := int64(0); s < lvmLabelSectors; s++ {
		b := d.at(s*512, 512)
		if b == nil || string(b[:8]) != "LABELONE" || string(b[lvmType:lvmType+8]) != "LVM2 001" || le.Uint64(b[lvmSectorXL:]) != uint64(s) {
			continue
		}
		// LVM's CRC-32 starts from lvmCRCInit and is not inverted at the
		// end; crc32.Update inverts on the way in and out.
		if ^crc32.Update(^uint32(lvmCRCInit), crc32.IEEETable, b[20:]) != le.Uint32(b[lvmCRC:]) {
			continue
		}
		u := b[lvmUUID : lvmUUID+32]
		return Finding{
			Kind: LVM, Name: LVM2, Offset: s*512 + lvmType, Version: "LVM2 001",
			UUID: fmt.Sprintf("%s-%s-%s-%s-%s-%s-%s", u[0:6], u[6:10], u[10:14], u[14:18], u[18:22], u[22:26], u[26:32]),
		}, true
	}
	return Finding{}, false
}

// LUKS headers (LUKS1 On-Disk Format Specification 1.2.3, §2.4; LUKS2
// On-Disk Format Specification, §2.1): magic, big-endian version, and at
// 168 the UUID as text. LUKS2 keeps a second binary header (magic
// "SKUL\xba\xbe") hdr_size bytes in, at one of a few fixed offsets, and
// each header records its own offset.
const (
	luksMagic     = "LUKS\xba\xbe"
	luks2Magic2   = "SKUL\xba\xbe"
	luksVersion   = 6   // u16
	luks2HdrSize  = 8   // u64
	luks2Label    = 24  // [48]
	luksUUID      = 168 // [40]
	luks2HdrOff   = 256 // u64
	luksHeaderLen = 512
)

func probeLUKS(d *disk) (Finding, bool) {
	if f, ok := luksHeader(d, 0, luksMagic); ok {
		if f.Version == "2" {
			second := int64(be.Uint64(d.at(0, luksHeaderLen)[luks2HdrSize:]))
			if _, ok := luksHeader(d, second, luks2Magic2); ok {
				f.Copies = []int64{second}
			}
		}
		return f, true
	}
	for _, off := range []int64{0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000} {
		if f, ok := luksHeader(d, off, luks2Magic2); ok {
			f.Backup = true
			return f, true
		}
	}
	return Finding{}, false
}

// luksHeader checks the header at off: a LUKS1 header only at 0, a LUKS2
// one where it says it is.
func luksHeader(d *disk, off int64, magic string) (Finding, bool) {
	b := d.at(off, luksHeaderLen)
	if b == nil || string(b[:6]) != magic {
		return Finding{}, false
	}
	f := Finding{Kind: Crypto, Name: LUKS, Offset: off, UUID: cString(b[luksUUID : luksUUID+40])}
	switch v := be.Uint16(b[luksVersion:]); {
	case v == 1 && off == 0 && magic == luksMagic:
		f.Version = "1"
	case v == 2 && be.Uint64(b[luks2HdrOff:]) == uint64(off):
		f.Version, f.Label = "2", cString(b[luks2Label:luks2Label+48])
	default:
		return Finding{}, false
	}
	return f, true
}

// The bcache superblock (include/uapi/linux/bcache.h, struct cache_sb) at
// 4 KiB, checksummed with CRC-64 (ECMA-182, not reflected) from byte 8 to
// the end of its journal bucket list.
const (
	bcacheSuper   = 4096
	bcacheOffset  = 8 // u64: its own sector, 8
	bcacheMagicAt = 24
	bcacheMagic   = "\xc6\x85\x73\xf6\x4e\x1a\x45\xca\x82\x65\xf5\x7f\x48\xba\x6d\x81"
	bcacheUUID    = 40  // [16]
	bcacheLabel   = 72  // [32]
	bcacheKeys    = 206 // u16: journal buckets listed
	bcacheBuckets = 208 // u64 d[256]
)

func probeBcache(d *disk) (Finding, bool) {
	b := d.at(bcacheSuper, bcacheBuckets+8*256)
	if b == nil || string(b[bcacheMagicAt:bcacheMagicAt+16]) != bcacheMagic || le.Uint64(b[bcacheOffset:]) != bcacheSuper/512 {
		return Finding{}, false
	}
	keys := int(le.Uint16(b[bcacheKeys:]))
	if keys > 256 || crc64WE(b[8:bcacheBuckets+8*keys]) != le.Uint64(b) {
		return Finding{}, false
	}
	return Finding{
		Kind: Cache, Name: BcacheDev, Offset: bcacheSuper + bcacheMagicAt,
		Label: cString(b[bcacheLabel : bcacheLabel+32]),
		UUID:  uuidString(b[bcacheUUID : bcacheUUID+16]),
	}, true
}

// crc64WE is CRC-64/WE: the ECMA-182 polynomial, most significant bit
// first, starting from and finally inverted with all ones. hash/crc64
// only has the reflected form.
func crc64WE(p []byte) uint64 {
	const poly = 0x42F0E1EBA9EA3693
	crc := ^uint64(0)
	for _, c := range p {
		crc ^= uint64(c) << 56
		for range 8 {
			if crc&(1<<63) != 0 {
				crc = crc<<1 ^ poly
			} else {
				crc <<= 1
			}
		}
	}
	return ^crc
}
