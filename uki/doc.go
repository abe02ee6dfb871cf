// Package uki assembles UEFI Unified Kernel Images (UKIs) in pure Go.
//
// A UKI is a systemd-stub PE/COFF executable with extra, data-only sections
// appended that hold the payload; at boot the stub finds them by name
// (.osrel, .cmdline, .uname, .splash, .initrd, .linux) and hands the kernel,
// initrd and command line to Linux. Because the whole thing is a single PE
// image, one Secure Boot signature covers kernel, initrd and command line.
//
// Build copies the stub byte for byte and only appends; the resulting file
// looks like this (offsets from the Debian 12 stub, systemd 252):
//
//	file offset                      contents
//	0x000  DOS header, PE header, optional header
//	0x188  section table: the stub's 8 headers, then one per new section
//	       (grown, and the stub's raw data moved down, only if it does not
//	       fit before the first section's data)
//	0x400  stub section data (.text .reloc .data .dynamic .rela .dynsym
//	       .sbat .sdmagic), unchanged
//	...    new section data in the given order, each starting on a
//	       FileAlignment boundary and padded with zeros to one
//	...    whatever followed the stub's sections (Debian's stub still
//	       carries a COFF symbol table), moved behind the new data so the
//	       section data stays contiguous, then zero padding to 8 bytes
//
// In memory each new section starts on the next page (4096 bytes, or the
// stub's SectionAlignment if larger) after the previous one, as ukify does;
// VirtualSize is the exact payload length, which is what systemd-stub uses as
// the payload size. NumberOfSections, SizeOfHeaders, SizeOfImage,
// SizeOfInitializedData and the PE checksum are updated; everything else in
// the stub, including its .sbat section, is kept. A stub that is already
// signed loses its certificate table, because adding sections invalidates
// the signature anyway: sign the finished UKI instead.
//
// Parse reads the sections back, for tests and for verifying a built image.
package uki
