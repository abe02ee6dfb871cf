package abslot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/disklayout"
	"github.com/plinth-os/plinth/internal/efivar"
)

// kernelAttrMask is the kernel's EFI_VARIABLE_MASK: attribute bits beyond
// it (some firmware sets bit 31 on reads) are not the entry's own.
const kernelAttrMask = 0x7f

// option is the load option of slot s's boot entry: the chain's entry for
// the slot's UKI on this ESP, labelled ESP.Label(s).
func (s *Slots) option(slot Slot) (*efivar.LoadOption, error) {
	e := s.esp.Chain.Entry(slot.Path())
	dp, err := efivar.DiskBootPath(s.esp.HD, "/"+e.Loader)
	if err != nil {
		return nil, fmt.Errorf("abslot: slot %s entry: %w", slot, err)
	}
	o, err := efivar.NewBootOption(s.esp.Label(slot), dp)
	if err != nil {
		return nil, fmt.Errorf("abslot: slot %s entry: %w", slot, err)
	}
	if o.OptionalData, err = e.OptionalData(); err != nil {
		return nil, fmt.Errorf("abslot: slot %s entry: %w", slot, err)
	}
	return o, nil
}

// starts reports whether o starts the UKI at uki (an ESP path) through
// the chain's entry for it, whatever its label and HD() node.
func starts(chain bootchain.Chain, o *efivar.LoadOption, uki string) bool {
	want := chain.Entry(uki)
	if !strings.EqualFold(o.Path().LoaderPath(), bootchain.UEFIPath(want.Loader)) {
		return false
	}
	return want.SecondStage == "" || strings.EqualFold(efivar.DecodeUCS2(o.OptionalData), want.SecondStage)
}

// slotEntries are one slot's entries: the one kept, and extra ones
// (duplicates, or one that cannot be rewritten in place) to remove.
type slotEntries struct {
	keep    *efivar.BootEntry
	extra   []uint16
	wantOpt *efivar.LoadOption
}

// ours finds each slot's entries. An entry is a slot's when it carries
// the slot's label: the label names this product's slot and nothing
// else, so whatever such an entry starts, it ought to start that slot
// (an entry left from before a reinstall points at an old PARTUUID, for
// instance), and Repair rewrites it. The entry kept is the lowest
// numbered one stored non-volatile with boot and runtime access; one
// with other attributes cannot be rewritten in place (firmware refuses
// to change attributes), so it is replaced by a new entry and removed
// once BootOrder names the new one, and the slot is never without an
// entry.
func (s *Slots) ours(entries []efivar.BootEntry) (map[Slot]*slotEntries, error) {
	m := map[Slot]*slotEntries{}
	for _, slot := range []Slot{A, B} {
		o, err := s.option(slot)
		if err != nil {
			return nil, err
		}
		se := &slotEntries{wantOpt: o}
		for i := range entries {
			e := &entries[i]
			if e.Option == nil || e.Option.Description != s.esp.Label(slot) {
				continue
			}
			if se.keep == nil && e.Attrs&kernelAttrMask == efivar.AttrsNVBSRT {
				se.keep = e
			} else {
				se.extra = append(se.extra, e.Num)
			}
		}
		m[slot] = se
	}
	return m, nil
}

// ensureEntries makes both slots' entries exist with the wanted content
// (rewriting the kept entry in place, so it is never missing), and
// returns their numbers and the extra entries to remove once BootOrder
// no longer names them.
func (s *Slots) ensureEntries(vars efivar.Store) (nums map[Slot]uint16, dups []uint16, changes []string, err error) {
	entries, err := efivar.ListBootEntries(vars)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("abslot: boot entries: %w", err)
	}
	m, err := s.ours(entries)
	if err != nil {
		return nil, nil, nil, err
	}
	nums = map[Slot]uint16{}
	for _, slot := range []Slot{A, B} {
		num, change, err := s.ensureEntry(vars, m[slot])
		if err != nil {
			return nil, nil, nil, err
		}
		nums[slot] = num
		dups = append(dups, m[slot].extra...)
		if change != "" {
			changes = append(changes, change)
		}
	}
	return nums, dups, changes, nil
}

// ensureEntry writes one slot's entry if it is missing or differs.
func (s *Slots) ensureEntry(vars efivar.Store, se *slotEntries) (uint16, string, error) {
	data, err := efivar.EncodeLoadOption(se.wantOpt)
	if err != nil {
		return 0, "", fmt.Errorf("abslot: %s: %w", se.wantOpt.Description, err)
	}
	label := se.wantOpt.Description
	if se.keep == nil {
		num, err := efivar.FreeBootNumber(vars)
		if err != nil {
			return 0, "", fmt.Errorf("abslot: %s: %w", label, err)
		}
		if err := efivar.WriteBootEntry(vars, num, se.wantOpt); err != nil {
			return 0, "", fmt.Errorf("abslot: create %s: %w", label, err)
		}
		return num, fmt.Sprintf("created %s %q", efivar.BootOptionName(num), label), nil
	}
	num := se.keep.Num
	if bytes.Equal(se.keep.Data, data) {
		return num, "", nil
	}
	if err := efivar.WriteBootEntry(vars, num, se.wantOpt); err != nil {
		return 0, "", fmt.Errorf("abslot: rewrite %s: %w", label, err)
	}
	return num, fmt.Sprintf("rewrote %s %q", efivar.BootOptionName(num), label), nil
}

// orderWith is order with first and second at its head, dropped numbers
// removed, and everything else in the order it was.
func orderWith(order []uint16, first, second uint16, drop []uint16) []uint16 {
	out := []uint16{first, second}
	for _, n := range order {
		if !slices.Contains(out, n) && !slices.Contains(drop, n) {
			out = append(out, n)
		}
	}
	return out
}

// setOrder puts the entries of committed and then the other slot first
// in BootOrder (one variable write, skipped when already so), then
// deletes the extra entries BootOrder no longer names.
func (s *Slots) setOrder(vars efivar.Store, committed Slot, nums map[Slot]uint16, dups []uint16) ([]string, error) {
	order, err := efivar.ReadBootOrder(vars)
	if err != nil && !errors.Is(err, efivar.ErrNotFound) {
		return nil, fmt.Errorf("abslot: %w", err)
	}
	var changes []string
	want := orderWith(order, nums[committed], nums[committed.Other()], dups)
	if !slices.Equal(want, order) {
		if err := efivar.WriteBootOrder(vars, want); err != nil {
			return nil, fmt.Errorf("abslot: BootOrder: %w", err)
		}
		changes = append(changes, fmt.Sprintf("BootOrder %s -> %s", orderText(order), orderText(want)))
	}
	for _, n := range dups {
		if err := vars.Delete(efivar.BootOptionName(n), efivar.GlobalVariable); err != nil && !errors.Is(err, efivar.ErrNotFound) {
			return nil, fmt.Errorf("abslot: remove extra entry %s: %w", efivar.BootOptionName(n), err)
		}
		changes = append(changes, "removed extra entry "+efivar.BootOptionName(n))
	}
	return changes, nil
}

func orderText(order []uint16) string {
	if len(order) == 0 {
		return "(unset)"
	}
	parts := make([]string, len(order))
	for i, n := range order {
		parts[i] = fmt.Sprintf("%04X", n)
	}
	return strings.Join(parts, ",")
}

// entryNum returns the number of slot's entry, which must exist.
func (s *Slots) entryNum(vars efivar.Store, slot Slot) (uint16, error) {
	entries, err := efivar.ListBootEntries(vars)
	if err != nil {
		return 0, fmt.Errorf("abslot: boot entries: %w", err)
	}
	m, err := s.ours(entries)
	if err != nil {
		return 0, err
	}
	if m[slot].keep == nil {
		return 0, fmt.Errorf("abslot: no boot entry %q", s.esp.Label(slot))
	}
	return m[slot].keep.Num, nil
}

// Booted says which slot this boot came from, and how that was decided:
// BootCurrent names the Boot#### the firmware started, and what that
// entry starts (its loader, or with shim the second stage in its optional
// data) is slot A's or B's UKI, or the removable-media fallback path (or
// a device without a file, which makes the firmware use that path), which
// holds the committed slot. An entry of the legacy UKI, still there until
// the first commit, started the bytes now in the committed slot.
//
// Call it before Repair, which may remove an extra entry BootCurrent
// names.
func (s *Slots) Booted(vars efivar.Store) (Slot, string, error) {
	st, err := s.opened("booted")
	if err != nil {
		return "", "", err
	}
	num, err := efivar.ReadBootCurrent(vars)
	if err != nil {
		return "", "", fmt.Errorf("abslot: booted: %w", err)
	}
	name := efivar.BootOptionName(num)
	o, err := efivar.ReadBootEntry(vars, num)
	if err != nil {
		return "", "", fmt.Errorf("abslot: booted: BootCurrent is %s: %w", name, err)
	}
	loader := o.Path().LoaderPath()
	for _, slot := range []Slot{A, B} {
		if starts(s.esp.Chain, o, slot.Path()) {
			return slot, fmt.Sprintf("BootCurrent %s %q starts slot %s (%s)", name, o.Description, slot, bootchain.UEFIPath(slot.Path())), nil
		}
	}
	switch {
	case loader == "":
		return st.Committed, fmt.Sprintf("BootCurrent %s %q names a device, whose removable-media path holds the committed slot %s", name, o.Description, st.Committed), nil
	case strings.EqualFold(loader, bootchain.UEFIPath(disklayout.FallbackPath)):
		return st.Committed, fmt.Sprintf("BootCurrent %s %q starts the removable-media path %s, a copy of the committed slot %s", name, o.Description, loader, st.Committed), nil
	case st.Legacy != "" && starts(s.esp.Chain, o, st.Legacy):
		return st.Committed, fmt.Sprintf("BootCurrent %s %q starts the legacy UKI %s, the bytes of the committed slot %s", name, o.Description, st.Legacy, st.Committed), nil
	}
	return "", "", fmt.Errorf("abslot: booted: BootCurrent %s %q starts %s, which is none of this ESP's slots", name, o.Description, o.Path())
}
