// Package iso writes Plinth's hybrid UEFI installer image: one file that
// boots as a CD (El Torito) and when written raw to a USB stick (GPT with
// an EFI System Partition).
//
// # Layout
//
//	block (2 KiB)  content
//	0-15           system area: protective MBR (one 0xEE partition from
//	               LBA 1 to the end), primary GPT header and 128-entry
//	               array (512-byte LBAs 1-33); the rest is zero
//	16             primary volume descriptor
//	17             El Torito boot record (where El Torito requires it)
//	18             Joliet supplementary volume descriptor, if enabled
//	then           volume descriptor set terminator
//	               primary directories in path table order, each followed
//	               by its Rock Ridge continuation areas
//	               primary path tables (type L, type M)
//	               Joliet directories, Joliet path tables
//	               /efiboot.img, /boot.catalog, the extra files in path order
//	end-9          zeros, then the backup GPT array and, in the last 512
//	               bytes, the backup header
//
// # Writing ISO 9660 ourselves
//
// The package writes ISO 9660 (ECMA-119), Rock Ridge (SUSP/RRIP), Joliet
// and El Torito itself: ecma119.go, susp.go and eltorito.go model the
// structures with fields citing their specifications; layout.go assigns
// every extent first, then write.go writes the file front to back in one
// pass, and no byte is written twice. It used go-diskfs v1.9.4 before,
// which has no hybrid (GPT system area) support, and whose output needed
// patching afterwards: dates from time.Now() and Rock Ridge owners and
// link counts from the build host, Joliet subdirectory records pointing
// at the primary tree, directory records in host order rather than
// ECMA-119 9.3's, the boot record after the Joliet descriptor instead of at
// sector 17, NUL-padded text fields, and a root directory of mode 0700.
// Rewriting its bytes cost more code than writing them right.
//
// What is written, and kept so: every date is Options.ModTime in UTC
// (volume descriptors, directory records, Rock Ridge TF), expiration and
// effective dates are "not specified"; Rock Ridge modes are 0755 for
// directories, 0644 for files and 0444 for the boot catalog, owner 0:0,
// link counts 1 for files and 2 plus subdirectories for directories; text
// fields are padded with spaces; directory records are in ECMA-119 9.3
// order, path tables in 6.9.1 order. ECMA-119 names are interchange level
// 1 (8.3, upper case, '_' for other characters, a number replacing the end
// of the name where two would clash), as mkisofs and xorriso write them;
// Rock Ridge NM and Joliet hold the real names, Joliet without ";1"
// versions. Records and path tables match those of
// "xorriso -as mkisofs -R -J" for the same files (see the tests) apart
// from extents, link counts and a '.' in directory names, which xorriso
// keeps although ECMA-119 7.6 does not allow it.
//
// # El Torito
//
// The boot catalog holds one initial/default entry: platform 0xEF (UEFI),
// no emulation, load RBA = /efiboot.img's extent. Its 16-bit sector count
// is the image size in 512-byte units, or 0 when that does not fit in 16
// bits; this is exactly what xorriso writes for the same input (checked
// with -report_el_torito). EDK2/OVMF's El Torito driver maps a count >= 2
// to a block device of exactly that size and a count < 2 to one running
// from the image to the end of the medium, so both cases expose the whole
// FAT.
//
// # Hybrid GPT
//
// The GPT, written by internal/gpt into the system area and the tail, has
// a single partition, type EF00 (C12A7328-F81F-11D2-BA4B-00A0C93EC93B),
// named "EFI System", that covers exactly the bytes of /efiboot.img inside
// the ISO 9660 tree. This is the layout of xorriso's "-efi-boot-part
// --efi-boot-image"; we chose it over xorriso's "-append_partition 2 0xef
// efiboot.img -appended_part_as_gpt" because the FAT image (tens of MiB)
// is then stored once instead of twice. ISO 9660 blocks are 2048 bytes, so
// the partition always starts 4-LBA aligned; the image length must be a
// multiple of 512 so the partition ends exactly at its last byte. xorriso
// additionally marks the unused space before and after with "Gap"
// partitions of type basic-data; we leave it unallocated, which sgdisk
// accepts, and so that no partition overlaps the ISO 9660 file system (the
// ESP necessarily does, which is the point). The partition attributes
// match xorriso: required (bit 0) and read-only (bit 60). The protective
// MBR's CHS values are internal/gpt's (UEFI spec, 255 heads and 63
// sectors) rather than xorriso's 64/32; nothing reads them. The volume
// space size in the volume descriptors covers the whole file including
// the backup GPT, as xorriso does, so copying "the ISO" never drops the
// backup header.
//
// Disk and partition GUIDs are derived (guid.Derive) from the SHA-256 of
// the ISO 9660 data, blocks 16 to the end of the data, which is hashed in a
// first pass over the same writer; they are never random. Two Write calls
// with equal Options produce byte-identical files.
package iso
