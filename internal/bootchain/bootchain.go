// Package bootchain says which EFI binaries an installed Plinth ESP
// holds and what its boot entries start. There are two chains:
//
//   - direct: the firmware starts the runtime UKI, which the firmware's
//     own db must trust when Secure Boot is on;
//   - shim: the firmware starts Microsoft-signed shim, which starts the
//     runtime UKI as its second stage once the operator has enrolled the
//     product's db certificate into shim's MOK list with MokManager. This
//     is for machines whose firmware trusts only Microsoft's CAs and
//     cannot be put into Setup Mode.
//
// Both keep a removable-media copy in \EFI\BOOT so that firmware which
// loses its boot entries still starts the appliance. shim has no way to
// be told its second stage there (the firmware passes no load options on
// that path), so the copy of the UKI sits at shim's built-in default,
// grubx64.efi, beside it.
//
// The installer's plan (internal/installplan) and mkiso's disk images
// (internal/provision) both take the file list and the entry from here,
// so an installed disk and a disk image agree.
package bootchain

import (
	"path"
	"strings"

	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/efivar"
)

// Binary is what an ESP file holds.
type Binary string

// Binaries.
const (
	RuntimeUKI Binary = "runtime-uki"
	Shim       Binary = "shim"        // shimx64.efi, signed by Microsoft's UEFI CA
	MokManager Binary = "mok-manager" // mmx64.efi, which shim starts to enroll keys
)

// File names shim looks for in its own directory (shim's DEFAULT_LOADER
// and MOK_MANAGER).
const (
	ShimName          = "shimx64.efi"
	MokManagerName    = "mmx64.efi"
	ShimDefaultLoader = "grubx64.efi"
)

// Chain is how the firmware gets to the runtime UKI.
type Chain struct {
	Shim bool // through shim (and MokManager beside it)
}

// File is one file of the chain on the ESP.
type File struct {
	Path   string // relative to the ESP root, forward slashes
	Binary Binary
	What   string // for people: plans and logs show it
}

// Entry is what a boot entry starts: Loader, with LoadOptions as the
// load option's optional data (UCS-2 path of shim's second stage; empty
// for the direct chain).
type Entry struct {
	Loader      string // relative to the ESP root, forward slashes
	SecondStage string // UEFI form (\EFI\...), "" for the direct chain
}

// Files lists the chain's files for a runtime UKI at uki (an ESP path
// such as EFI/plinth/product.efi): the UKI, shim and MokManager beside
// it when the chain has shim, and the removable-media copies (Fallback).
func (c Chain) Files(uki string) []File {
	if !c.Shim {
		return append([]File{{Path: uki, Binary: RuntimeUKI, What: "runtime UKI"}}, c.Fallback()...)
	}
	dir := path.Dir(uki)
	return append([]File{
		{Path: uki, Binary: RuntimeUKI, What: "runtime UKI, shim's second stage"},
		{Path: path.Join(dir, ShimName), Binary: Shim, What: "shim, the boot entry's loader"},
		{Path: path.Join(dir, MokManagerName), Binary: MokManager, What: "MokManager, started by shim to enroll keys"},
	}, c.Fallback()...)
}

// Fallback lists the chain's files at the removable-media path, which
// firmware starts without a boot entry: the UKI as BOOTX64.EFI, or shim
// there with the UKI at shim's default second stage and MokManager.
func (c Chain) Fallback() []File {
	if !c.Shim {
		return []File{{Path: disklayout.FallbackPath, Binary: RuntimeUKI, What: "runtime UKI, removable-media fallback copy"}}
	}
	return []File{
		{Path: disklayout.FallbackPath, Binary: Shim, What: "shim, removable-media fallback copy"},
		{Path: fallback(ShimDefaultLoader), Binary: RuntimeUKI, What: "runtime UKI, shim's default second stage in the fallback directory"},
		{Path: fallback(MokManagerName), Binary: MokManager, What: "MokManager, for the fallback shim"},
	}
}

// Entry is the boot entry that starts the UKI at uki.
func (c Chain) Entry(uki string) Entry {
	if !c.Shim {
		return Entry{Loader: uki}
	}
	return Entry{Loader: path.Join(path.Dir(uki), ShimName), SecondStage: UEFIPath(uki)}
}

// OptionalData is the load option's optional data for e: shim takes the
// first CHAR16 string there as the path of its second stage.
func (e Entry) OptionalData() ([]byte, error) {
	if e.SecondStage == "" {
		return nil, nil
	}
	return efivar.EncodeUCS2(e.SecondStage)
}

// UEFIPath is an ESP path in the form firmware and shim take: \EFI\...
func UEFIPath(p string) string {
	return `\` + strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", `\`)
}

// fallback is name in the removable-media directory, beside BOOTX64.EFI.
func fallback(name string) string { return path.Join(path.Dir(disklayout.FallbackPath), name) }
