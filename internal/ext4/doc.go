// Package ext4 models the ext4 on-disk format as far as Plinth needs it:
// the superblock (parsed, checked and encoded, field by field at the
// offsets of the kernel's struct ext4_super_block), its feature and flag
// bits, and the CRC-32C convention of ext4's metadata checksums.
//
// It is the read side: the appliance checks its data partition with
// ReadSuperblock and links nothing that writes filesystems. The formatter
// is internal/ext4/mkext4, which encodes its superblocks with this
// package's Superblock.
package ext4
