// Package gpt is the GUID partition table codec: protective MBR, primary
// and backup headers and partition arrays with their CRC32s, on disks with
// 512- or 4096-byte logical sectors. It reads and checks tables from an
// io.ReaderAt and encodes them to an io.WriterAt, and touches no device:
// internal/blockdev opens disks, and internal/gptdev commits tables to
// them (exclusive open, in-use refusal, the kernel's re-read), so that
// programs that only read partition tables link no partitioning code.
//
// Why not go-diskfs (v1.9.4, the library the field reaches for)? Its
// GPT code reads and writes tables well, falls back to the backup and even
// re-reads partitions with BLKRRPART/BLKPG, but it does not check what it
// writes: overlapping partitions, partitions past the last usable sector
// or unaligned starts are written as given, and there is no way to
// validate a table without writing it. It has no free-space placement
// ("next aligned start", "to the end"), no sgdisk type codes, reads only
// from its own backend.File (not an io.ReaderAt), and has no mount check
// or wait for partition device nodes (internal/gptdev's job here). The
// installer needs all of these, and gptpart (sgdisk's syntax) needs them
// to reject bad input before anything is written.
//
// Determinism: New picks a random disk GUID and Add a random partition
// GUID only when none is given; callers that build reproducible images
// set Table.DiskGUID and Partition.GUID.
package gpt
