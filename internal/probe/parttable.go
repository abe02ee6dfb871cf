package probe

import (
	"fmt"
	"io"

	"github.com/plinth-os/plinth/internal/gpt"
)

// probeGPT finds a GUID partition table (UEFI 2.10 §5.3) with 512- or
// 4096-byte sectors. internal/gpt, which models the format, checks the
// header and partition array CRCs and falls back to the backup header at
// the last sector. The backup is then reported as a copy, found as wipefs
// finds it: by reading again with the primary header hidden.
//
// Unlike blkid, no protective MBR is required: a disk whose first sector
// was wiped still holds a partition table someone may want back.
func probeGPT(d *disk) (Finding, bool) {
	for _, ss := range []int64{512, 4096} {
		t, err := gpt.Read(d, d.size, int(ss))
		if err != nil {
			continue
		}
		f := Finding{Kind: PartitionTable, Name: GPT, Offset: ss, UUID: t.DiskGUID.String()}
		backup := int64(t.Sectors-1) * ss
		if t.FromBackup {
			f.Offset, f.Backup = backup, true
		} else if b, err := gpt.Read(hidden{d, ss, ss}, d.size, int(ss)); err == nil && b.FromBackup {
			f.Copies = []int64{backup}
		}
		return f, true
	}
	return Finding{}, false
}

// hidden reads r with the n bytes at off read as zeros.
type hidden struct {
	r      io.ReaderAt
	off, n int64
}

func (h hidden) ReadAt(p []byte, off int64) (int, error) {
	k, err := h.r.ReadAt(p, off)
	for i := max(h.off-off, 0); i < int64(k) && off+i < h.off+h.n; i++ {
		p[i] = 0
	}
	return k, err
}

// The classic MBR (UEFI 2.10 §5.2.1, Table 5-1 and 5-2): a disk signature
// at 440, four 16-byte partition entries from 446, 0x55AA at 510.
const (
	mbrDiskSignature = 440
	mbrEntries       = 446
	mbrEntrySize     = 16
	mbrBootSignature = 510
	mbrTypeGPT       = 0xEE // the protective MBR's one entry
	// aixMagic starts an IBM AIX IPL record, which carries 0x55AA too.
	aixMagic = "\xC9\xC2\xD4\xC1"
)

// mbrEntry is one primary partition entry.
type mbrEntry struct {
	bootIndicator byte   // 0x80 bootable, 0x00 not; anything else: not an MBR
	osType        byte   // 0: unused
	startLBA      uint32 // StartingLBA
	sizeLBA       uint32 // SizeInLBA
}

// parseMBR decodes sector 0, or reports false without the 0x55AA mark.
func parseMBR(b []byte) (sig uint32, entries [4]mbrEntry, ok bool) {
	if len(b) < 512 || b[mbrBootSignature] != 0x55 || b[mbrBootSignature+1] != 0xAA {
		return 0, entries, false
	}
	for i := range entries {
		e := b[mbrEntries+i*mbrEntrySize:][:mbrEntrySize]
		entries[i] = mbrEntry{bootIndicator: e[0], osType: e[4], startLBA: le.Uint32(e[8:]), sizeLBA: le.Uint32(e[12:])}
	}
	return le.Uint32(b[mbrDiskSignature:]), entries, true
}

// probeDOS finds a DOS (MBR) partition table with the checks blkid makes
// to tell one from the boot sectors that also end in 0x55AA: boot
// indicators 0x00 or 0x80 only, no protective 0xEE entry (that is a GPT),
// and not a FAT, exFAT or NTFS boot sector. It also wants one used entry,
// which blkid does not: an empty table holds nothing to lose, and boot
// code alone is not a partition table.
func probeDOS(d *disk) (Finding, bool) {
	b := d.at(0, 512)
	sig, entries, ok := parseMBR(b)
	if !ok || string(b[:len(aixMagic)]) == aixMagic {
		return Finding{}, false
	}
	used := false
	for _, e := range entries {
		if e.bootIndicator != 0 && e.bootIndicator != 0x80 || e.osType == mbrTypeGPT {
			return Finding{}, false
		}
		used = used || e.osType != 0 && e.sizeLBA != 0
	}
	if !used || isBootSector(d) {
		return Finding{}, false
	}
	f := Finding{Kind: PartitionTable, Name: DOS, Offset: mbrBootSignature}
	if sig != 0 {
		f.UUID = fmt.Sprintf("%08x", sig)
	}
	return f, true
}

// isBootSector reports whether sector 0 is the boot sector of a
// filesystem rather than an MBR.
func isBootSector(d *disk) bool {
	for _, fs := range []func(*disk) (Finding, bool){probeVFAT, probeExFAT, probeNTFS} {
		if _, ok := fs(d); ok {
			return true
		}
	}
	return false
}
