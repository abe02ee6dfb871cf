package mkext4

import "encoding/binary"

// jbd2 constants. The journal is big-endian, unlike the rest of ext4.
const (
	jbd2Magic        = 0xC03B3998
	jbd2SuperblockV2 = 4
)

// journalSuperblock returns the first block of an empty internal journal
// of n blocks, as ext2fs_create_journal_superblock writes it: no features
// (the kernel turns on checksum v3 and 64bit when it mounts a
// metadata_csum/64bit filesystem), sequence 1, s_start 0 (nothing to
// replay), one user.
func journalSuperblock(bs, n uint64, uuid [16]byte) []byte {
	b := make([]byte, bs)
	be := binary.BigEndian
	be.PutUint32(b[0x00:], jbd2Magic)
	be.PutUint32(b[0x04:], jbd2SuperblockV2)
	be.PutUint32(b[0x0C:], uint32(bs)) // s_blocksize
	be.PutUint32(b[0x10:], uint32(n))  // s_maxlen
	be.PutUint32(b[0x14:], 1)          // s_first
	be.PutUint32(b[0x18:], 1)          // s_sequence
	copy(b[0x30:0x40], uuid[:])        // s_uuid
	be.PutUint32(b[0x40:], 1)          // s_nr_users
	return b
}
