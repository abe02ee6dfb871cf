package netanswers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SMBIOS structure types this package reads.
const (
	TypeOEMStrings = 11  // DSP0134 §7.12, OEM Strings
	typeEndOfTable = 127 // End-of-Table: the last structure of a table
)

// OEM string keys. An OEM string "plinth.answers-url=<template>" gives
// the answers URL template, "plinth.report-url=<template>" the report
// URL template (Expand).
const (
	KeyAnswersURL = "plinth.answers-url"
	KeyReportURL  = "plinth.report-url"
)

// Structure is one SMBIOS structure (DSP0134 3.x §6.1.2, "Structure
// header format"): a formatted area, which starts with the 4-byte header
// (type, length, handle), followed by its string set (§6.1.3, "Text
// strings").
type Structure struct {
	Type   byte
	Handle uint16
	// Formatted is the formatted area, header included: Length bytes.
	Formatted []byte
	// Strings is the string set, string 1 first. A field of the
	// formatted area that refers to string n holds n; 0 means none.
	Strings []string
}

// ParseStructures reads consecutive SMBIOS structures: one as a
// /sys/firmware/dmi/entries/*/raw file holds it, or a whole table as
// /sys/firmware/dmi/tables/DMI does. An End-of-Table structure (type
// 127) ends the walk and is not returned. The string set ends with two
// NULs (a structure without strings has two NULs right after its
// formatted area); running out of data before that is an error.
func ParseStructures(data []byte) ([]Structure, error) {
	var out []Structure
	for off := 0; off < len(data); {
		s, n, err := parseStructure(data[off:])
		if err != nil {
			return nil, fmt.Errorf("smbios: structure %d at offset %d: %w", len(out)+1, off, err)
		}
		if s.Type == typeEndOfTable {
			break
		}
		out = append(out, s)
		off += n
	}
	return out, nil
}

// parseStructure reads the structure at the start of b and returns it
// with the number of bytes it takes.
func parseStructure(b []byte) (Structure, int, error) {
	if len(b) < 4 {
		return Structure{}, 0, fmt.Errorf("%d bytes, shorter than the 4-byte header", len(b))
	}
	s := Structure{Type: b[0], Handle: binary.LittleEndian.Uint16(b[2:4])}
	length := int(b[1])
	switch {
	case length < 4:
		return Structure{}, 0, fmt.Errorf("type %d: length %d is shorter than the header", s.Type, length)
	case length > len(b):
		return Structure{}, 0, fmt.Errorf("type %d: length %d, but only %d bytes", s.Type, length, len(b))
	}
	s.Formatted = b[:length]
	strs, n, err := parseStrings(b[length:])
	if err != nil {
		return Structure{}, 0, fmt.Errorf("type %d: %w", s.Type, err)
	}
	s.Strings = strs
	return s, length + n, nil
}

// parseStrings reads a string set and returns its strings and its size
// in bytes, terminating NULs included.
func parseStrings(b []byte) ([]string, int, error) {
	if len(b) > 0 && b[0] == 0 {
		// No strings: the set is two NULs.
		if len(b) < 2 || b[1] != 0 {
			return nil, 0, errors.New("empty string set not terminated by two NULs")
		}
		return nil, 2, nil
	}
	var strs []string
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], 0)
		if i < 0 {
			return nil, 0, errors.New("string set not terminated by NUL")
		}
		if i == 0 {
			return strs, off + 1, nil // the empty string after the last: end of set
		}
		strs = append(strs, string(b[off:off+i]))
		off += i + 1
	}
}

// OEMStrings returns the strings of an OEM Strings structure (type 11,
// DSP0134 §7.12): offset 04h, Count, is the number of strings, which are
// strings 1 to Count of the set. A set holding fewer strings than Count
// gives those it holds: the values, not the count, are what firmware
// and hypervisors are known to get right.
func OEMStrings(s Structure) ([]string, error) {
	if s.Type != TypeOEMStrings {
		return nil, fmt.Errorf("smbios: structure type %d, not OEM Strings (%d)", s.Type, TypeOEMStrings)
	}
	if len(s.Formatted) < 5 {
		return nil, fmt.Errorf("smbios: OEM Strings structure of length %d has no Count (offset 04h)", len(s.Formatted))
	}
	n := min(int(s.Formatted[4]), len(s.Strings))
	return s.Strings[:n], nil
}

// ReadOEMStrings returns the OEM strings of every type 11 structure
// under sysRoot (normally "/sys"), from
// firmware/dmi/entries/11-<instance>/raw, in instance order. A kernel
// without SMBIOS (or without CONFIG_DMI_SYSFS) has no such entries:
// that is no strings and no error.
func ReadOEMStrings(sysRoot string) ([]string, error) {
	dirs, err := oemEntries(filepath.Join(sysRoot, "firmware", "dmi", "entries"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "raw"))
		if err != nil {
			return nil, fmt.Errorf("smbios: %w", err)
		}
		ss, err := ParseStructures(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		if len(ss) != 1 {
			return nil, fmt.Errorf("smbios: %s holds %d structures, want 1", dir, len(ss))
		}
		strs, err := OEMStrings(ss[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		out = append(out, strs...)
	}
	return out, nil
}

// oemEntries lists the dmi-sysfs directories of type 11 structures,
// sorted by instance number (11-2 before 11-10).
func oemEntries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("smbios: %w", err)
	}
	type entry struct {
		instance int
		path     string
	}
	var found []entry
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), strconv.Itoa(TypeOEMStrings)+"-")
		n, err := strconv.Atoi(rest)
		if !ok || err != nil {
			continue
		}
		found = append(found, entry{n, filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(found, func(a, b entry) int { return a.instance - b.instance })
	paths := make([]string, len(found))
	for i, e := range found {
		paths[i] = e.path
	}
	return paths, nil
}

// OEM is what the OEM strings say to the installer.
type OEM struct {
	AnswersURL string // template of plinth.answers-url=; "" when absent
	ReportURL  string // template of plinth.report-url=; "" when absent
}

// ParseOEM finds the plinth.* keys among OEM strings. Strings of other
// forms belong to the vendor and are ignored. A key given twice with the
// same value is fine (firmware and hypervisor may both set it); with two
// different values it is an error naming both, since picking one could
// install a machine with answers meant for another. An empty value is an
// error too: it is a mistake, not a wish for no URL.
func ParseOEM(strs []string) (OEM, error) {
	var o OEM
	for _, s := range strs {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			continue
		}
		var dst *string
		switch strings.TrimSpace(k) {
		case KeyAnswersURL:
			dst = &o.AnswersURL
		case KeyReportURL:
			dst = &o.ReportURL
		default:
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return OEM{}, fmt.Errorf("smbios: OEM string %q: empty value", s)
		case *dst != "" && *dst != v:
			return OEM{}, fmt.Errorf("smbios: OEM strings give %s twice, %q and %q: which one is meant is ambiguous", strings.TrimSpace(k), *dst, v)
		}
		*dst = v
	}
	return o, nil
}

// ReadOEM reads the plinth.* OEM strings under sysRoot (ReadOEMStrings,
// ParseOEM).
func ReadOEM(sysRoot string) (OEM, error) {
	strs, err := ReadOEMStrings(sysRoot)
	if err != nil {
		return OEM{}, err
	}
	return ParseOEM(strs)
}
