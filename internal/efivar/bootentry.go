package efivar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// BootEntry is one Boot#### variable as found in a Store.
type BootEntry struct {
	Num    uint16
	Attrs  uint32      // variable attributes
	Data   []byte      // the raw EFI_LOAD_OPTION
	Option *LoadOption // nil if Data did not decode
	Err    error       // why Data did not decode
}

// ListBootEntries returns every Boot#### variable, sorted by number.
// Entries that do not decode are included with Err set, so that a listing
// shows them and a free number is never one in use.
func ListBootEntries(s Store) ([]BootEntry, error) {
	refs, err := s.List()
	if err != nil {
		return nil, err
	}
	var entries []BootEntry
	for _, r := range refs {
		num, ok := ParseBootOptionName(r.Name)
		if !ok || r.GUID != GlobalVariable {
			continue
		}
		attrs, data, err := s.Get(r.Name, r.GUID)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since List
		}
		if err != nil {
			return nil, err
		}
		e := BootEntry{Num: num, Attrs: attrs, Data: data}
		e.Option, e.Err = DecodeLoadOption(data)
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b BootEntry) int { return int(a.Num) - int(b.Num) })
	return entries, nil
}

// ReadBootEntry returns the decoded Boot#### variable num.
func ReadBootEntry(s Store, num uint16) (*LoadOption, error) {
	_, data, err := s.Get(BootOptionName(num), GlobalVariable)
	if err != nil {
		return nil, err
	}
	o, err := DecodeLoadOption(data)
	if err != nil {
		return nil, fmt.Errorf("efivar: %s: %w", BootOptionName(num), err)
	}
	return o, nil
}

// WriteBootEntry encodes o and stores it as Boot#### num (NV, BS, RT),
// replacing any variable of that name. It does not touch BootOrder.
func WriteBootEntry(s Store, num uint16, o *LoadOption) error {
	data, err := EncodeLoadOption(o)
	if err != nil {
		return fmt.Errorf("efivar: %s: %w", BootOptionName(num), err)
	}
	return s.Set(BootOptionName(num), GlobalVariable, AttrsNVBSRT, data)
}

// NewBootOption returns an active load option labelled label that boots
// dp, after checking what the firmware needs: a label to show and a File()
// node with an absolute path.
func NewBootOption(label string, dp DevicePath) (*LoadOption, error) {
	if label == "" {
		return nil, errors.New("efivar: boot entry label is empty")
	}
	lp := dp.LoaderPath()
	if lp == "" {
		return nil, fmt.Errorf("efivar: boot entry path %s has no File() node", dp)
	}
	if !strings.HasPrefix(lp, `\`) {
		return nil, fmt.Errorf(`efivar: boot entry loader %q must start with \`, lp)
	}
	return &LoadOption{Attributes: LoadOptionActive, Description: label, FilePaths: []DevicePath{dp}}, nil
}

// CreateBootEntry stores o under the lowest free Boot#### number and puts
// that number first in BootOrder, as efibootmgr -c does. It does not look
// for duplicates; see EnsureBootEntry.
func CreateBootEntry(s Store, o *LoadOption) (uint16, error) {
	num, err := FreeBootNumber(s)
	if err != nil {
		return 0, err
	}
	order, err := readBootOrderOrEmpty(s)
	if err != nil {
		return 0, err
	}
	return num, createAt(s, num, o, order)
}

// CreateBootEntryAt is CreateBootEntry with a chosen number; it fails if
// Boot#### num exists.
func CreateBootEntryAt(s Store, num uint16, o *LoadOption) error {
	if _, _, err := s.Get(BootOptionName(num), GlobalVariable); err == nil {
		return fmt.Errorf("efivar: cannot create %s: it already exists", BootOptionName(num))
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	order, err := readBootOrderOrEmpty(s)
	if err != nil {
		return err
	}
	return createAt(s, num, o, order)
}

func createAt(s Store, num uint16, o *LoadOption, order []uint16) error {
	// The variable first: a BootOrder naming a missing Boot#### would
	// make firmware skip (or some firmware, drop) the entry.
	if err := WriteBootEntry(s, num, o); err != nil {
		return err
	}
	return WriteBootOrder(s, moveToFront(order, num, nil))
}

// FreeBootNumber returns the lowest number used neither by a Boot####
// variable nor in BootOrder.
func FreeBootNumber(s Store) (uint16, error) {
	entries, err := ListBootEntries(s)
	if err != nil {
		return 0, err
	}
	order, err := readBootOrderOrEmpty(s)
	if err != nil {
		return 0, err
	}
	return freeBootNumber(entries, order)
}

func freeBootNumber(entries []BootEntry, order []uint16) (uint16, error) {
	used := make(map[uint16]bool, len(entries)+len(order))
	for _, e := range entries {
		used[e.Num] = true
	}
	for _, n := range order {
		used[n] = true
	}
	for n := 0; n <= 0xffff; n++ {
		if !used[uint16(n)] {
			return uint16(n), nil
		}
	}
	return 0, errors.New("efivar: all 65536 Boot#### numbers are in use")
}

// DeleteBootEntry removes num from BootOrder, then deletes Boot#### num,
// in that order so that BootOrder never names a missing entry. It fails
// with ErrNotFound only if num was in neither.
func DeleteBootEntry(s Store, num uint16) error {
	order, err := readBootOrderOrEmpty(s)
	if err != nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(order), func(n uint16) bool { return n == num })
	if len(kept) != len(order) {
		if err := WriteBootOrder(s, kept); err != nil {
			return err
		}
	}
	err = s.Delete(BootOptionName(num), GlobalVariable)
	if errors.Is(err, ErrNotFound) && len(kept) != len(order) {
		return nil
	}
	return err
}

// SetBootEntryActive sets or clears LOAD_OPTION_ACTIVE of Boot#### num,
// editing the stored bytes so that parts we do not decode survive.
func SetBootEntryActive(s Store, num uint16, active bool) error {
	name := BootOptionName(num)
	attrs, data, err := s.Get(name, GlobalVariable)
	if err != nil {
		return err
	}
	if len(data) < 4 {
		return fmt.Errorf("efivar: %s is too short to be a load option", name)
	}
	a := binary.LittleEndian.Uint32(data)
	b := a &^ LoadOptionActive
	if active {
		b |= LoadOptionActive
	}
	if a == b {
		return nil
	}
	binary.LittleEndian.PutUint32(data, b)
	return s.Set(name, GlobalVariable, attrs&attrMask, data)
}

// EnsureBootEntry makes sure exactly one boot entry labelled label loads
// dp's loader, and that it comes first in BootOrder. It is what the
// installer calls, so that reinstalling never piles up duplicate entries.
//
// An existing entry with the same label and the same loader file (compared
// case-insensitively, as FAT does) counts as the same entry even if its
// HD() node differs: a reinstall writes a new GPT with a new PARTUUID, and
// the old entry then points at a partition that no longer exists. The
// lowest-numbered match is rewritten in place (one write, so the entry is
// never missing) and any further matches are deleted. Nothing is written
// when the entry and BootOrder already are as wanted (NVRAM wears).
func EnsureBootEntry(s Store, label string, dp DevicePath) (uint16, error) {
	o, err := NewBootOption(label, dp)
	if err != nil {
		return 0, err
	}
	return EnsureBootOption(s, o)
}

// EnsureBootOption is EnsureBootEntry for a whole load option, such as
// one whose optional data names shim's second stage: entries are matched
// by o's label and loader file, and a match is rewritten to o.
func EnsureBootOption(s Store, o *LoadOption) (uint16, error) {
	label, dp := o.Description, o.Path()
	data, err := EncodeLoadOption(o)
	if err != nil {
		return 0, err
	}
	entries, err := ListBootEntries(s)
	if err != nil {
		return 0, err
	}
	order, err := readBootOrderOrEmpty(s)
	if err != nil {
		return 0, err
	}

	var same []BootEntry
	for _, e := range entries {
		if e.Option != nil && e.Option.Description == label &&
			strings.EqualFold(e.Option.Path().LoaderPath(), dp.LoaderPath()) {
			same = append(same, e)
		}
	}
	var num uint16
	if len(same) > 0 {
		num = same[0].Num
		name := BootOptionName(num)
		attrs := same[0].Attrs & attrMask
		if attrs != AttrsNVBSRT {
			// UEFI refuses to change a variable's attributes in place
			// (and a volatile entry would vanish at reboot): recreate it.
			if err := s.Delete(name, GlobalVariable); err != nil {
				return 0, err
			}
		}
		if attrs != AttrsNVBSRT || !bytes.Equal(same[0].Data, data) {
			if err := s.Set(name, GlobalVariable, AttrsNVBSRT, data); err != nil {
				return 0, err
			}
		}
	} else {
		if num, err = freeBootNumber(entries, order); err != nil {
			return 0, err
		}
		if err := s.Set(BootOptionName(num), GlobalVariable, AttrsNVBSRT, data); err != nil {
			return 0, err
		}
	}

	var drop []uint16
	for _, e := range same[min(1, len(same)):] {
		drop = append(drop, e.Num)
	}
	if newOrder := moveToFront(order, num, drop); !slices.Equal(newOrder, order) {
		if err := WriteBootOrder(s, newOrder); err != nil {
			return 0, err
		}
	}
	for _, n := range drop {
		if err := s.Delete(BootOptionName(n), GlobalVariable); err != nil && !errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("efivar: removing duplicate %s: %w", BootOptionName(n), err)
		}
	}
	return num, nil
}

// moveToFront returns order with num first, without other occurrences of
// num and without the numbers in drop.
func moveToFront(order []uint16, num uint16, drop []uint16) []uint16 {
	out := []uint16{num}
	for _, n := range order {
		if n != num && !slices.Contains(drop, n) {
			out = append(out, n)
		}
	}
	return out
}
