package probe

import (
	"fmt"
	"slices"
)

// ISO 9660 (ECMA-119 §8): volume descriptors of 2048 bytes from byte
// 32768, each starting with its type and "CD001"; the primary one (type 1)
// holds the volume identifier, the root directory record and the dates.
const (
	isoFirstVD     = 32768
	isoVDSize      = 2048
	isoMaxVDs      = 16 // blkid gives up after as many
	isoVDPrimary   = 1
	isoVDEnd       = 255
	isoVolumeID    = 40  // [32] d-characters, space padded
	isoBlockSize   = 128 // both-endian u16
	isoRootRecord  = 156 // the root directory's 34-byte record
	isoCreated     = 813 // dec-datetime: 16 digits and a time zone byte
	isoModified    = 830
	isoDirRecordSz = 34
)

func probeISO9660(d *disk) (Finding, bool) {
	if !d.has(isoFirstVD+1, "CD001") {
		return Finding{}, false
	}
	for i := int64(0); i < isoMaxVDs; i++ {
		vd := d.at(isoFirstVD+i*isoVDSize, isoVDSize)
		if vd == nil || vd[0] == isoVDEnd || string(vd[1:6]) != "CD001" {
			break
		}
		if vd[0] == isoVDPrimary {
			return isoPrimary(d, vd)
		}
	}
	return Finding{}, false
}

// isoPrimary checks the primary volume descriptor as newer blkid does:
// the root directory's first record must be "." pointing at itself, which
// a "CD001" in file data (an .iso stored on another filesystem) is not.
func isoPrimary(d *disk, vd []byte) (Finding, bool) {
	bs := int64(le.Uint16(vd[isoBlockSize:]))
	root := vd[isoRootRecord:]
	lba, n := le.Uint32(root[2:]), le.Uint32(root[10:])
	if bs == 0 || n < isoDirRecordSz {
		return Finding{}, false
	}
	r := d.at(int64(lba)*bs, isoDirRecordSz)
	if r == nil || r[0] < isoDirRecordSz || r[32] != 1 || r[33] != 0 || le.Uint32(r[2:]) != lba {
		return Finding{}, false
	}
	uuid := isoDate(vd[isoModified:][:17])
	if uuid == "" {
		uuid = isoDate(vd[isoCreated:][:17])
	}
	return Finding{Kind: Filesystem, Name: ISO9660, Offset: isoFirstVD + 1, Label: paddedString(vd[isoVolumeID : isoVolumeID+32]), UUID: uuid}, true
}

// isoDate turns a dec-datetime (ECMA-119 §8.4.26.1) into the UUID blkid
// makes of it, or "" if the date is unset (all digits zero, no zone).
func isoDate(b []byte) string {
	unset := b[16] == 0
	for _, c := range b[:16] {
		unset = unset && c == '0'
	}
	if unset {
		return ""
	}
	return fmt.Sprintf("%s-%s-%s-%s-%s-%s-%s", b[0:4], b[4:6], b[6:8], b[8:10], b[10:12], b[12:14], b[14:16])
}

// UDF: a Volume Recognition Sequence from byte 32768 (ECMA-167 2/9.1) in
// which an NSR descriptor says "UDF", then an Anchor Volume Descriptor
// Pointer (tag 2, ECMA-167 3/10.2) at sector 256 of the block size used.
const (
	udfVRS       = 32768
	udfMaxVSDs   = 64
	udfAnchorLBA = 256
	udfTagAnchor = 2
)

func probeUDF(d *disk) (Finding, bool) {
	for _, step := range []int64{2048, 4096} { // descriptors take a block, at least 2 KiB
		if udfNSR(d, step) && udfAnchor(d) {
			return Finding{Kind: Filesystem, Name: UDF, Offset: udfVRS + 1}, true
		}
	}
	return Finding{}, false
}

// udfNSR reads the recognition sequence with descriptors step bytes apart
// and reports whether it has an NSR02 or NSR03 descriptor.
func udfNSR(d *disk, step int64) bool {
	other := []string{"BEA01", "BOOT2", "CD001", "CDW02", "TEA01"}
	for i := int64(0); i < udfMaxVSDs; i++ {
		b := d.at(udfVRS+i*step+1, 5)
		switch {
		case b == nil:
			return false
		case string(b) == "NSR02" || string(b) == "NSR03":
			return true
		case !slices.Contains(other, string(b)):
			return false
		}
	}
	return false
}

// udfAnchor looks for the anchor at sector 256 of each block size.
func udfAnchor(d *disk) bool {
	for _, bs := range []int64{512, 1024, 2048, 4096} {
		tag := d.at(udfAnchorLBA*bs, 16)
		if tag != nil && le.Uint16(tag) == udfTagAnchor && le.Uint32(tag[12:]) == udfAnchorLBA {
			return true
		}
	}
	return false
}
