package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/plinth-os/plinth/internal/guid"
)

// Where the superblock is, and the values of its fields that Plinth's
// filesystems use; the comments name the fields of struct
// ext4_super_block (the kernel's fs/ext4/ext4.h).
const (
	SuperblockOffset = 1024   // bytes from the start of the filesystem
	SuperblockSize   = 1024   // bytes
	Magic            = 0xEF53 // s_magic
	csumOffset       = 0x3FC  // s_checksum
	StateClean       = 1      // s_state: cleanly unmounted
	ErrorsContinue   = 1      // s_errors: continue on errors
	ChecksumCRC32C   = 1      // s_checksum_type
	HashHalfMD4      = 1      // s_def_hash_version
	JnlBackupBlocks  = 1      // s_jnl_backup_type: s_jnl_blocks holds i_block
	FlagUnsignedHash = 2      // s_flags: unsigned directory hash
	DefmXattrUser    = 0x4    // s_default_mount_opts: user_xattr
	DefmACL          = 0x8    // s_default_mount_opts: acl
)

// Feature bits: s_feature_compat, s_feature_incompat and
// s_feature_ro_compat. featureNames has their dumpe2fs names.
const (
	CompatHasJournal  = 0x4
	CompatExtAttr     = 0x8
	CompatResizeInode = 0x10
	CompatDirIndex    = 0x20

	IncompatFiletype = 0x2
	IncompatRecover  = 0x4
	IncompatExtents  = 0x40
	Incompat64bit    = 0x80
	IncompatFlexBG   = 0x200

	ROCompatSparseSuper  = 0x1
	ROCompatLargeFile    = 0x2
	ROCompatHugeFile     = 0x8
	ROCompatDirNlink     = 0x20
	ROCompatExtraIsize   = 0x40
	ROCompatMetadataCsum = 0x400
)

// featureNames are the names dumpe2fs prints for the bits mkext4 uses,
// in dumpe2fs's order.
var featureNames = []struct {
	word int // 0 compat, 1 incompat, 2 ro_compat
	bit  uint32
	name string
}{
	{0, CompatHasJournal, "has_journal"},
	{0, CompatExtAttr, "ext_attr"},
	{0, CompatResizeInode, "resize_inode"},
	{0, CompatDirIndex, "dir_index"},
	{1, IncompatFiletype, "filetype"},
	{1, IncompatRecover, "needs_recovery"},
	{1, IncompatExtents, "extent"},
	{1, Incompat64bit, "64bit"},
	{1, IncompatFlexBG, "flex_bg"},
	{2, ROCompatSparseSuper, "sparse_super"},
	{2, ROCompatLargeFile, "large_file"},
	{2, ROCompatHugeFile, "huge_file"},
	{2, ROCompatDirNlink, "dir_nlink"},
	{2, ROCompatExtraIsize, "extra_isize"},
	{2, ROCompatMetadataCsum, "metadata_csum"},
}

// Superblock is the parsed ext4 superblock (the fields mkext4 sets).
// Times are Unix seconds.
type Superblock struct {
	InodesCount      uint32
	BlocksCount      uint64
	ReservedBlocks   uint64
	FreeBlocks       uint64
	FreeInodes       uint32
	FirstDataBlock   uint32
	BlockSize        uint32
	BlocksPerGroup   uint32
	InodesPerGroup   uint32
	MountTime        int64
	WriteTime        int64
	MaxMountCount    int16
	State            uint16
	Errors           uint16
	LastCheck        int64
	RevLevel         uint32
	FirstIno         uint32
	InodeSize        uint16
	BlockGroupNr     uint16
	FeatureCompat    uint32
	FeatureIncompat  uint32
	FeatureROCompat  uint32
	UUID             guid.GUID // s_uuid, stored in text order
	Label            string
	JournalInode     uint32
	HashSeed         [16]byte
	DefHashVersion   uint8
	JnlBackupType    uint8
	DescSize         uint16
	DefaultMountOpts uint32
	MkfsTime         int64
	JnlBlocks        [17]uint32
	MinExtraIsize    uint16
	WantExtraIsize   uint16
	Flags            uint32
	LogGroupsPerFlex uint8
	ChecksumType     uint8
	Checksum         uint32
}

// Features returns the names of the feature bits set, as dumpe2fs spells
// them; unknown bits are listed as "FEATURE_<word><bit>".
func (s *Superblock) Features() []string {
	words := [3]uint32{s.FeatureCompat, s.FeatureIncompat, s.FeatureROCompat}
	var known [3]uint32
	var out []string
	for _, f := range featureNames {
		known[f.word] |= f.bit
		if words[f.word]&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	for w, v := range words {
		for b := 0; b < 32; b++ {
			if bit := uint32(1) << b; v&bit != 0 && known[w]&bit == 0 {
				out = append(out, fmt.Sprintf("FEATURE_%c%d", "CIR"[w], b))
			}
		}
	}
	return out
}

// ErrBadSuperblock is wrapped by ParseSuperblock's errors.
var ErrBadSuperblock = errors.New("not a valid ext4 superblock")

// ReadSuperblock reads and parses the primary superblock of the
// filesystem that starts at byte off of r.
func ReadSuperblock(r io.ReaderAt, off int64) (*Superblock, error) {
	b := make([]byte, SuperblockSize)
	if _, err := r.ReadAt(b, off+SuperblockOffset); err != nil {
		return nil, fmt.Errorf("ext4: read superblock: %w", err)
	}
	return ParseSuperblock(b)
}

// ParseSuperblock decodes a 1024-byte superblock (the bytes at offset 1024
// of a filesystem) and checks its magic, geometry and, with
// metadata_csum, its checksum.
func ParseSuperblock(b []byte) (*Superblock, error) {
	if len(b) < SuperblockSize {
		return nil, fmt.Errorf("ext4: superblock is %d bytes, want %d: %w", len(b), SuperblockSize, ErrBadSuperblock)
	}
	le := binary.LittleEndian
	if m := le.Uint16(b[0x38:]); m != Magic {
		return nil, fmt.Errorf("ext4: magic %#x, want %#x: %w", m, Magic, ErrBadSuperblock)
	}
	logBS := le.Uint32(b[0x18:])
	if logBS > 6 {
		return nil, fmt.Errorf("ext4: block size 2^%d KiB too large: %w", logBS, ErrBadSuperblock)
	}
	s := &Superblock{
		InodesCount:      le.Uint32(b[0x0:]),
		BlocksCount:      uint64(le.Uint32(b[0x4:])) | uint64(le.Uint32(b[0x150:]))<<32,
		ReservedBlocks:   uint64(le.Uint32(b[0x8:])) | uint64(le.Uint32(b[0x154:]))<<32,
		FreeBlocks:       uint64(le.Uint32(b[0xC:])) | uint64(le.Uint32(b[0x158:]))<<32,
		FreeInodes:       le.Uint32(b[0x10:]),
		FirstDataBlock:   le.Uint32(b[0x14:]),
		BlockSize:        1024 << logBS,
		BlocksPerGroup:   le.Uint32(b[0x20:]),
		InodesPerGroup:   le.Uint32(b[0x28:]),
		MountTime:        int64(le.Uint32(b[0x2C:])) | int64(b[0x275])<<32,
		WriteTime:        int64(le.Uint32(b[0x30:])) | int64(b[0x274])<<32,
		MaxMountCount:    int16(le.Uint16(b[0x36:])),
		State:            le.Uint16(b[0x3A:]),
		Errors:           le.Uint16(b[0x3C:]),
		LastCheck:        int64(le.Uint32(b[0x40:])) | int64(b[0x277])<<32,
		RevLevel:         le.Uint32(b[0x4C:]),
		FirstIno:         le.Uint32(b[0x54:]),
		InodeSize:        le.Uint16(b[0x58:]),
		BlockGroupNr:     le.Uint16(b[0x5A:]),
		FeatureCompat:    le.Uint32(b[0x5C:]),
		FeatureIncompat:  le.Uint32(b[0x60:]),
		FeatureROCompat:  le.Uint32(b[0x64:]),
		Label:            string(bytes.TrimRight(b[0x78:0x88], "\x00")),
		JournalInode:     le.Uint32(b[0xE0:]),
		DefHashVersion:   b[0xFC],
		JnlBackupType:    b[0xFD],
		DescSize:         le.Uint16(b[0xFE:]),
		DefaultMountOpts: le.Uint32(b[0x100:]),
		MkfsTime:         int64(le.Uint32(b[0x108:])) | int64(b[0x276])<<32,
		MinExtraIsize:    le.Uint16(b[0x15C:]),
		WantExtraIsize:   le.Uint16(b[0x15E:]),
		Flags:            le.Uint32(b[0x160:]),
		LogGroupsPerFlex: b[0x174],
		ChecksumType:     b[0x175],
		Checksum:         le.Uint32(b[csumOffset:]),
	}
	s.UUID = guid.FromBytes(b[0x68:0x78])
	copy(s.HashSeed[:], b[0xEC:0xFC])
	for i := range s.JnlBlocks {
		s.JnlBlocks[i] = le.Uint32(b[0x10C+4*i:])
	}
	if s.BlocksPerGroup == 0 || s.InodesPerGroup == 0 {
		return nil, fmt.Errorf("ext4: zero blocks or inodes per group: %w", ErrBadSuperblock)
	}
	if s.FeatureROCompat&ROCompatMetadataCsum != 0 {
		if want := CRC32C(^uint32(0), b[:csumOffset]); want != s.Checksum {
			return nil, fmt.Errorf("ext4: superblock checksum %#08x, want %#08x: %w", s.Checksum, want, ErrBadSuperblock)
		}
	}
	return s, nil
}

// Marshal encodes s into a 1024-byte superblock and sets its checksum.
func (s *Superblock) Marshal() []byte {
	b := make([]byte, SuperblockSize)
	le := binary.LittleEndian
	put32 := func(off int, v uint32) { le.PutUint32(b[off:], v) }
	put16 := func(off int, v uint16) { le.PutUint16(b[off:], v) }
	put32(0x0, s.InodesCount)
	put32(0x4, uint32(s.BlocksCount))
	put32(0x150, uint32(s.BlocksCount>>32))
	put32(0x8, uint32(s.ReservedBlocks))
	put32(0x154, uint32(s.ReservedBlocks>>32))
	put32(0xC, uint32(s.FreeBlocks))
	put32(0x158, uint32(s.FreeBlocks>>32))
	put32(0x10, s.FreeInodes)
	put32(0x14, s.FirstDataBlock)
	logBS := uint32(0)
	for 1024<<logBS < s.BlockSize {
		logBS++
	}
	put32(0x18, logBS) // s_log_block_size
	put32(0x1C, logBS) // s_log_cluster_size: no bigalloc
	put32(0x20, s.BlocksPerGroup)
	put32(0x24, s.BlocksPerGroup) // s_clusters_per_group
	put32(0x28, s.InodesPerGroup)
	putTime(b, 0x2C, 0x275, s.MountTime)
	putTime(b, 0x30, 0x274, s.WriteTime)
	put16(0x36, uint16(s.MaxMountCount))
	put16(0x38, Magic)
	put16(0x3A, s.State)
	put16(0x3C, s.Errors)
	putTime(b, 0x40, 0x277, s.LastCheck)
	put32(0x4C, s.RevLevel)
	put32(0x54, s.FirstIno)
	put16(0x58, s.InodeSize)
	put16(0x5A, s.BlockGroupNr)
	put32(0x5C, s.FeatureCompat)
	put32(0x60, s.FeatureIncompat)
	put32(0x64, s.FeatureROCompat)
	copy(b[0x68:0x78], s.UUID[:])
	copy(b[0x78:0x88], s.Label)
	put32(0xE0, s.JournalInode)
	copy(b[0xEC:0xFC], s.HashSeed[:])
	b[0xFC] = s.DefHashVersion
	b[0xFD] = s.JnlBackupType
	put16(0xFE, s.DescSize)
	put32(0x100, s.DefaultMountOpts)
	putTime(b, 0x108, 0x276, s.MkfsTime)
	for i, v := range s.JnlBlocks {
		put32(0x10C+4*i, v)
	}
	put16(0x15C, s.MinExtraIsize)
	put16(0x15E, s.WantExtraIsize)
	put32(0x160, s.Flags)
	b[0x174] = s.LogGroupsPerFlex
	b[0x175] = s.ChecksumType
	s.Checksum = CRC32C(^uint32(0), b[:csumOffset])
	put32(csumOffset, s.Checksum)
	return b
}

// putTime stores Unix seconds as a 32-bit low word and an 8-bit high byte.
func putTime(b []byte, lo, hi int, t int64) {
	binary.LittleEndian.PutUint32(b[lo:], uint32(t))
	b[hi] = byte(t >> 32)
}
