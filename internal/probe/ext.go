package probe

import (
	"fmt"

	"github.com/plinth-os/plinth/internal/ext4"
)

// The ext2/3/4 superblock lies 1024 bytes in; its magic 0xEF53 at 0x38 in
// it (s_magic, kernel Documentation/filesystems/ext4/super.rst).
// internal/ext4 parses it and checks its checksum.
const (
	extSuperblock = 1024
	extMagicAt    = extSuperblock + 0x38
)

// Feature bits that tell ext2, ext3 and ext4 apart, as blkid does: ext2
// has no journal and only the features below, ext3 a journal and those
// plus needs_recovery, anything else is ext4. The bit values are those of
// super.rst (s_feature_compat, s_feature_incompat, s_feature_ro_compat).
const (
	extCompatHasJournal    = 0x4
	extIncompatFiletype    = 0x2
	extIncompatRecover     = 0x4
	extIncompatJournalDev  = 0x8
	extIncompatMetaBG      = 0x10
	extROCompatSparseSuper = 0x1
	extROCompatLargeFile   = 0x2
	extROCompatBtreeDir    = 0x4
	extFlagsTestFilesys    = 0x4 // s_flags: ext4dev, a test filesystem
	ext2IncompatSupported  = extIncompatFiletype | extIncompatMetaBG
	ext3IncompatSupported  = ext2IncompatSupported | extIncompatRecover
	ext23ROCompatSupported = extROCompatSparseSuper | extROCompatLargeFile | extROCompatBtreeDir
)

func probeExt(d *disk) (Finding, bool) {
	b := d.at(extSuperblock, 1024)
	if b == nil || le.Uint16(b[0x38:]) != 0xEF53 {
		return Finding{}, false
	}
	sb, err := ext4.ParseSuperblock(b)
	if err != nil {
		return Finding{}, false
	}
	return Finding{
		Kind:    Filesystem,
		Name:    extName(sb),
		Offset:  extMagicAt,
		Version: fmt.Sprintf("%d.%d", sb.RevLevel, le.Uint16(b[0x3E:])), // s_rev_level.s_minor_rev_level
		Label:   sb.Label,
		UUID:    uuidString(sb.UUID[:]),
	}, true
}

func extName(sb *ext4.Superblock) string {
	journal := sb.FeatureCompat&extCompatHasJournal != 0
	ro, in := sb.FeatureROCompat, sb.FeatureIncompat
	switch {
	case in&extIncompatJournalDev != 0:
		return JBD
	case !journal && ro&^ext23ROCompatSupported == 0 && in&^ext2IncompatSupported == 0:
		return Ext2
	case journal && ro&^ext23ROCompatSupported == 0 && in&^ext3IncompatSupported == 0:
		return Ext3
	case sb.Flags&extFlagsTestFilesys != 0:
		return Ext4Dev
	}
	return Ext4
}
