package datapart

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/plinth-os/plinth/internal/ext4"
)

// Superblock state bits (s_state) and feature bits Check looks at.
const (
	stateValid         = 0x1 // EXT4_VALID_FS: cleanly unmounted
	stateErrors        = 0x2 // EXT4_ERROR_FS: errors detected
	compatHasJournal   = 0x4
	incompatRecover    = 0x4 // needs_recovery: the journal must be replayed
	superblockOffset   = 1024
	superblockSize     = 1024
	errorCountOffset   = 0x194 // s_error_count
	firstErrorFnOffset = 0x1A0 // s_first_error_func, 32 bytes
)

// Report is what Check found.
type Report struct {
	UUID          string   `json:"uuid"`
	Label         string   `json:"label,omitempty"`
	Clean         bool     `json:"clean"` // cleanly unmounted
	HasJournal    bool     `json:"hasJournal"`
	NeedsRecovery bool     `json:"needsRecovery"` // journal replay pending
	ErrorCount    uint32   `json:"errorCount,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`
}

// CheckDevice opens path and checks the filesystem on it.
func CheckDevice(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("datapart: %w", err)
	}
	defer f.Close()
	r, err := Check(f)
	if err != nil {
		return r, fmt.Errorf("datapart: %s: %w", path, err)
	}
	return r, nil
}

// Check reads the ext4 superblock from r (a partition) and decides
// whether the filesystem may be mounted. The Report is filled as far as
// the superblock could be read, also when err is not nil.
func Check(r io.ReaderAt) (Report, error) {
	b := make([]byte, superblockSize)
	if _, err := r.ReadAt(b, superblockOffset); err != nil {
		return Report{}, fmt.Errorf("read superblock: %w", err)
	}
	return CheckSuperblock(b)
}

// CheckSuperblock is Check on the 1024 superblock bytes.
func CheckSuperblock(b []byte) (Report, error) {
	sb, err := ext4.ParseSuperblock(b)
	if err != nil {
		return Report{}, fmt.Errorf("not a usable ext4 filesystem: %w", err)
	}
	rep := Report{
		UUID:          sb.UUID.String(),
		Label:         sb.Label,
		Clean:         sb.State&stateValid != 0,
		HasJournal:    sb.FeatureCompat&compatHasJournal != 0,
		NeedsRecovery: sb.FeatureIncompat&incompatRecover != 0,
		ErrorCount:    binary.LittleEndian.Uint32(b[errorCountOffset:]),
	}
	if sb.State&stateErrors != 0 || rep.ErrorCount > 0 {
		where := cString(b[firstErrorFnOffset : firstErrorFnOffset+32])
		if where != "" {
			where = ", first in " + where
		}
		return rep, fmt.Errorf("the filesystem records errors (%d%s): it needs e2fsck, which the appliance does not include; check the disk from another system", rep.ErrorCount, where)
	}
	switch {
	case rep.NeedsRecovery && !rep.HasJournal:
		return rep, fmt.Errorf("the filesystem needs journal recovery but has no journal")
	case rep.NeedsRecovery, !rep.Clean && rep.HasJournal:
		rep.Warnings = append(rep.Warnings, "not cleanly unmounted; the kernel replays the journal on mount")
	case !rep.Clean:
		return rep, fmt.Errorf("the filesystem was not cleanly unmounted and has no journal: it needs e2fsck")
	}
	return rep, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
