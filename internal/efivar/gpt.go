package efivar

import (
	"fmt"

	"github.com/plinth-os/plinth/internal/gpt"
)

// HardDriveFromTable returns the HD() node of partition part of t.
func HardDriveFromTable(t *gpt.Table, part uint32) (HardDrive, error) {
	if part > uint32(t.Entries) {
		return HardDrive{}, fmt.Errorf("efivar: partition %d not found: the GPT has only %d entries", part, t.Entries)
	}
	p := t.Partition(int(part))
	if p == nil {
		return HardDrive{}, fmt.Errorf("efivar: partition %d not found: GPT entry %d is unused", part, part)
	}
	return GPTHardDrive(part, p.FirstLBA, p.Sectors(), p.GUID), nil
}
