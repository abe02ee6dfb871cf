// Package gpt reads, checks and writes GUID partition tables: protective
// MBR, primary and backup headers and partition arrays with their CRC32s,
// on disks with 512- or 4096-byte logical sectors. On Linux, Disk adds what
// partitioning a real block device needs: the sector size from the kernel,
// refusing disks that are mounted or otherwise in use, and making the
// kernel re-read the table and waiting for the partition devices.
//
// Why not go-diskfs (v1.9.4, already a dependency for ISO and ext4)? Its
// GPT code reads and writes tables well, falls back to the backup and even
// re-reads partitions with BLKRRPART/BLKPG, but it does not check what it
// writes: overlapping partitions, partitions past the last usable sector
// or unaligned starts are written as given, and there is no way to
// validate a table without writing it. It has no free-space placement
// ("next aligned start", "to the end"), no sgdisk type codes, reads only
// from its own backend.File (not an io.ReaderAt), and has no mount check
// or wait for partition device nodes. The installer needs all of these,
// and gptpart (sgdisk's syntax) needs them to reject bad input before
// anything is written.
//
// Determinism: New picks a random disk GUID and Add a random partition
// GUID only when none is given; callers that build reproducible images
// set Table.DiskGUID and Partition.GUID.
package gpt
