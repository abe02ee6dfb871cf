package installplan

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Signature names DetectSignatures reports.
const (
	SigGPT       = "gpt"        // primary GPT header at LBA 1 (512- or 4096-byte sectors)
	SigGPTBackup = "gpt-backup" // only the backup GPT header at the last sector
	SigMBR       = "mbr"        // an MBR with partition entries that is not a protective MBR
	SigExt4      = "ext4"       // ext2/3/4 superblock magic
	SigVFAT      = "vfat"       // FAT12/16/32 boot sector
	SigISO9660   = "iso9660"    // ISO 9660 primary volume descriptor ("CD001")
	SigNTFS      = "ntfs"
	SigXFS       = "xfs"
	SigBtrfs     = "btrfs"
	SigLUKS      = "luks"
	SigLVM       = "lvm2"
	SigSwap      = "swap"
)

// DetectSignatures reads the first sectors (and, for the backup GPT
// header, the last ones) of a disk or partition of size bytes and
// returns the partition tables and filesystems it finds, in a fixed
// order. It reads at most a few hundred KiB and never fails: unreadable
// regions simply match nothing. An empty result means the installer
// found nothing it would destroy; it is not proof that the disk is
// blank.
func DetectSignatures(r io.ReaderAt, size int64) []string {
	read := func(off, n int64) []byte {
		if off < 0 || n <= 0 || off+n > size || off+n < off {
			return nil
		}
		b := make([]byte, n)
		if k, err := r.ReadAt(b, off); k != int(n) && err != nil {
			return nil
		}
		return b
	}
	var sigs []string
	head := read(0, 4096)
	if head == nil {
		head = read(0, 512)
	}
	at := func(b []byte, off int, magic string) bool {
		return off >= 0 && off+len(magic) <= len(b) && string(b[off:off+len(magic)]) == magic
	}

	gptPrimary := at(read(512, 8), 0, "EFI PART") || at(read(4096, 8), 0, "EFI PART")
	if gptPrimary {
		sigs = append(sigs, SigGPT)
	} else if at(read(size-512, 8), 0, "EFI PART") || (size%4096 == 0 && at(read(size-4096, 8), 0, "EFI PART")) {
		sigs = append(sigs, SigGPTBackup)
	}
	if isMBR(head) {
		sigs = append(sigs, SigMBR)
	}
	if sb := read(1024, 1024); sb != nil && binary.LittleEndian.Uint16(sb[0x38:]) == 0xEF53 {
		sigs = append(sigs, SigExt4)
	}
	if isFAT(head) {
		sigs = append(sigs, SigVFAT)
	}
	if at(read(32768, 8), 1, "CD001") {
		sigs = append(sigs, SigISO9660)
	}
	if at(head, 3, "NTFS    ") {
		sigs = append(sigs, SigNTFS)
	}
	if at(head, 0, "XFSB") {
		sigs = append(sigs, SigXFS)
	}
	if at(read(0x10040, 8), 0, "_BHRfS_M") {
		sigs = append(sigs, SigBtrfs)
	}
	if at(head, 0, "LUKS\xba\xbe") || at(head, 0, "SKUL\xba\xbe") {
		sigs = append(sigs, SigLUKS)
	}
	for _, off := range []int{0, 512, 1024, 1536} {
		if at(head, off, "LABELONE") && at(head, off+24, "LVM2 ") {
			sigs = append(sigs, SigLVM)
			break
		}
	}
	for _, page := range []int{4096, 8192, 16384, 65536} {
		b := read(int64(page)-10, 10)
		if at(b, 0, "SWAPSPACE2") || at(b, 0, "SWAP-SPACE") {
			sigs = append(sigs, SigSwap)
			break
		}
	}
	return sigs
}

// isMBR reports an MBR with at least one used, well-formed entry that
// is not the protective 0xEE entry of a GPT disk and not a FAT/NTFS
// boot sector (which carry the same 0x55AA marker).
func isMBR(b []byte) bool {
	if len(b) < 512 || b[510] != 0x55 || b[511] != 0xAA || isFAT(b) || bytes.Equal(b[3:11], []byte("NTFS    ")) {
		return false
	}
	used := false
	for i := 0; i < 4; i++ {
		e := b[446+16*i : 446+16*(i+1)]
		if e[0] != 0x00 && e[0] != 0x80 {
			return false
		}
		typ := e[4]
		if typ == 0 {
			continue
		}
		if typ == 0xEE {
			return false
		}
		if binary.LittleEndian.Uint32(e[12:]) == 0 {
			return false
		}
		used = true
	}
	return used
}

// isFAT recognises a FAT boot sector: a jump instruction, a sane BPB and
// the "FAT" file system type string of FAT12/16 or FAT32.
func isFAT(b []byte) bool {
	if len(b) < 512 || !(b[0] == 0xEB && b[2] == 0x90 || b[0] == 0xE9) {
		return false
	}
	bps := binary.LittleEndian.Uint16(b[11:])
	spc := b[13]
	if bps < 512 || bps > 4096 || bps&(bps-1) != 0 || spc == 0 || spc&(spc-1) != 0 || b[16] == 0 {
		return false
	}
	return bytes.HasPrefix(b[0x36:], []byte("FAT")) || bytes.HasPrefix(b[0x52:], []byte("FAT"))
}
