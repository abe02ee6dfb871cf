// Package vfat writes and reads FAT12, FAT16 and FAT32 filesystems.
//
// Plinth writes its EFI system partitions (the installer ISO's efiboot.img
// and the ESPs of installed disks) with this package instead of
// go-diskfs: go-diskfs v1.9.4's FAT32 output fails `fsck.fat -n` (wrong
// ".." entries, a wrong free-cluster summary in FSInfo) and produced
// images that could not be read at all at some sizes, such as 64 MB and
// 129 MB.
//
// Format lays a filesystem out the way mkfs.fat does (cluster sizes, FAT
// type choice, aligned data area), optionally filled from an fs.FS. Its
// output is a pure function of its inputs so that images are reproducible,
// and it writes only the metadata and the clusters it uses, so formatting
// a large sparse file or device is quick.
//
// Open reads a filesystem back; it is meant for tests and verification,
// not as a general-purpose driver (it is read-only and loads whole
// directories at once).
package vfat
