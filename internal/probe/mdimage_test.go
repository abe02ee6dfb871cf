package probe

import (
	"encoding/binary"
	"os"
	"testing"
)

// The md driver, which "mdadm --create" needs, is not in every kernel the
// tests run on, so these write the superblock mdadm would write, from
// include/uapi/linux/raid/md_p.h, and the tests check with "mdadm
// --examine" and blkid, which both read it in user space, that it is
// one.

var mdTestUUID = [16]byte{0x4d, 0x1f, 0x0a, 0x6e, 0x52, 0x83, 0x4b, 0x0c, 0x9a, 0x11, 0x6b, 0x02, 0xe7, 0x3c, 0x55, 0xd9}

// writeMD writes an md superblock of version ("0.90", "1.0", "1.1",
// "1.2") for a RAID1 of two devices into the image of size bytes.
func writeMD(t *testing.T, img string, size int64, version string) {
	t.Helper()
	var sb []byte
	var off int64
	switch version {
	case "0.90":
		off = size&^(mdReserved-1) - mdReserved
		sb = md0Superblock(uint32(off >> 10))
	case "1.0":
		off = ((size>>9 - 16) &^ 7) << 9
		sb = md1Superblock(off, 0, uint64(off>>9), 3)
	case "1.1":
		sb = md1Superblock(0, 2048, uint64(size>>9-2048), 2)
	case "1.2":
		off = 4096
		sb = md1Superblock(off, 2048, uint64(size>>9-2048), 2)
	default:
		t.Fatalf("md version %s", version)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(sb, off); err != nil {
		t.Fatal(err)
	}
}

// md0Superblock is an mdp_super_t: 1024 host-endian (here little-endian)
// words; sizeKiB is what each member holds, up to the superblock.
func md0Superblock(sizeKiB uint32) []byte {
	b := make([]byte, 4096)
	w := func(i int, v uint32) { binary.LittleEndian.PutUint32(b[4*i:], v) }
	u := func(i int) uint32 { return binary.BigEndian.Uint32(mdTestUUID[4*i:]) }
	// Constant generic words: magic, version 0.90.0, set_uuid0, ctime,
	// level 1, size, nr_disks, raid_disks, md_minor, set_uuid1-3.
	for i, v := range []uint32{mdMagic, 0, 90, 0, 0, u(0), 1700000000, 1, sizeKiB, 2, 2, 0, 0, u(1), u(2), u(3)} {
		w(i, v)
	}
	// Generic state words from 32: utime, state (clean), active, working,
	// failed, spare disks, sb_csum (38), events (39-40).
	for i, v := range []uint32{1700000000, 1, 2, 2, 0, 0, 0, 1, 0} {
		w(32+i, v)
	}
	// Disk descriptors from word 128, this_disk at 992: number, major,
	// minor, raid_disk, state (active, sync).
	for _, at := range []int{128, 992} {
		for i, v := range []uint32{0, 7, 0, 0, 6} {
			w(at+i, v)
		}
	}
	var sum uint64
	for i := 0; i < len(b); i += 4 {
		sum += uint64(binary.LittleEndian.Uint32(b[i:]))
	}
	w(38, uint32(sum&0xFFFFFFFF+sum>>32))
	return b
}

// md1Superblock is an mdp_superblock_1 at byte off with maxDev roles.
func md1Superblock(off int64, dataOffset, dataSize uint64, maxDev int) []byte {
	b := make([]byte, md1Fixed+2*maxDev)
	le := binary.LittleEndian
	le.PutUint32(b[0:], mdMagic)
	le.PutUint32(b[4:], 1) // major_version
	copy(b[md1SetUUID:], mdTestUUID[:])
	copy(b[md1SetName:], "plinth:0")
	le.PutUint64(b[64:], 1700000000) // ctime
	le.PutUint32(b[72:], 1)          // level: RAID1
	le.PutUint64(b[80:], dataSize)   // size
	le.PutUint32(b[92:], 2)          // raid_disks
	le.PutUint64(b[128:], dataOffset)
	le.PutUint64(b[136:], dataSize)
	le.PutUint64(b[md1SuperOff:], uint64(off)>>9)
	copy(b[168:], "device-uuid-0001") // device_uuid
	le.PutUint64(b[192:], 1700000000) // utime
	le.PutUint64(b[200:], 1)          // events
	le.PutUint64(b[208:], ^uint64(0)) // resync_offset: in sync
	le.PutUint32(b[md1MaxDev:], uint32(maxDev))
	for i := 0; i < maxDev; i++ {
		le.PutUint16(b[md1Fixed+2*i:], []uint16{0, 1, 0xFFFF}[min(i, 2)]) // two members, then spares
	}
	le.PutUint32(b[md1Csum:], md1Checksum(b))
	return b
}
