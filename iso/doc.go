// Package iso writes Plinth's hybrid UEFI installer image: one file that
// boots as a CD (El Torito) and when written raw to a USB stick (GPT with
// an EFI System Partition).
//
// # Layout
//
//	offset        content
//	0             protective MBR: one 0xEE partition from LBA 1 to the end
//	512           primary GPT header (512-byte LBAs)
//	1 KiB-17 KiB  GPT partition array, 128 entries (LBA 2..33)
//	32 KiB        ISO 9660 volume descriptors: PVD (16), El Torito boot
//	              record (17, as the El Torito spec requires), Joliet SVD
//	              if enabled, terminator
//	...           directories, path tables, /boot.catalog, /efiboot.img,
//	              the extra files (ISO 9660 + Rock Ridge, via go-diskfs)
//	end-17 KiB    backup GPT array and, in the last 512 bytes, backup header
//
// The El Torito catalog holds one initial/default entry: platform 0xEF
// (UEFI), no emulation, load RBA = /efiboot.img's extent. Its 16-bit sector
// count is the image size in 512-byte units, or 0 when that does not fit in
// 16 bits; this is exactly what xorriso writes for the same input (checked
// with -report_el_torito). EDK2/OVMF's El Torito driver maps a count >= 2
// to a block device of exactly that size and a count < 2 to one running from
// the image to the end of the medium, so both cases expose the whole FAT.
//
// The GPT has a single partition, type EF00 (C12A7328-F81F-11D2-BA4B-
// 00A0C93EC93B), named "EFI System", that covers exactly the bytes of
// /efiboot.img inside the ISO 9660 tree. This is the layout of xorriso's
// "-efi-boot-part --efi-boot-image"; we chose it over xorriso's
// "-append_partition 2 0xef efiboot.img -appended_part_as_gpt" because the
// FAT image (tens of MiB) is then stored once instead of twice. ISO 9660
// blocks are 2048 bytes, so the partition always starts 4-LBA aligned; the
// image length must be a multiple of 512 so the partition ends exactly at
// its last byte. xorriso additionally marks the unused space before and
// after with "Gap" partitions of type basic-data; we leave it unallocated,
// which sgdisk accepts, and so that no partition overlaps the ISO 9660 file
// system (the ESP necessarily does, which is the point). The partition
// attributes match xorriso: required (bit 0) and read-only (bit 60). The
// PVD's volume space size covers the whole file including the backup GPT,
// as xorriso does, so copying "the ISO" never drops the backup header.
//
// # go-diskfs and what Write corrects afterwards
//
// go-diskfs v1.9.4 writes the ISO 9660 + Rock Ridge + Joliet + El Torito
// part from a workspace directory that Write populates itself. It has no
// hybrid/GPT support, so makeHybrid (gpt.go) adds the system area; and a
// few things in its output are non-deterministic or non-conforming, so
// normalize (fixup.go) patches the finished image in place rather than us
// forking or re-implementing the writer:
//
//   - time.Now() in the volume descriptors and the boot catalog's record,
//     and Rock Ridge atime/ctime, uid/gid and link counts taken from the
//     workspace: every volume-descriptor date, directory-record date and
//     Rock Ridge TF stamp becomes Options.ModTime (UTC); expiration and
//     effective dates are "unspecified" like xorriso's; PX owner/group
//     become 0:0; PX link counts are 1 for files, 2+subdirectories for
//     directories.
//   - The root directory's mode is 0700 (its workspace is a MkdirTemp):
//     the workspace is chmod'ed explicitly (directories 0755, files 0644),
//     so modes do not depend on the umask either; the boot catalog's mode
//     0 becomes 0444 as in xorriso.
//   - The boot record volume descriptor follows the Joliet SVD; El Torito
//     requires it at sector 17, so the two sectors are swapped.
//   - Joliet subdirectory records point at the primary tree's directory
//     extents, so Joliet readers saw 8.3 names below the root; they are
//     re-pointed at the Joliet extents (mapped through the path tables).
//   - Directory records are in host-name order with the catalog last;
//     they are re-sorted into ECMA-119 9.3 order. Text fields are padded
//     with NULs; they are padded with spaces. Directory sizes are rounded
//     up to whole blocks as mkisofs/xorriso record them.
//
// Disk and partition GUIDs are derived from the SHA-256 of the finished
// ISO 9660 data (RFC 4122 version 4/variant bits set), never random. Two
// Write calls with equal Options produce byte-identical files.
//
// ReadGPT and ReadElTorito are small validating readers for tests and
// end-to-end checks; they and normalize's tree walker are fuzzed.
package iso
