package main

import (
	"fmt"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/partfind"
)

// hardDriveFromDisk reads the GPT of disk (a block device or an image
// file) and returns the HD() node of partition part (1-based).
func hardDriveFromDisk(disk string, part uint32) (efivar.HardDrive, error) {
	if part == 0 {
		return efivar.HardDrive{}, fmt.Errorf("efibootmgr: %s: partition numbers start at 1", disk)
	}
	t, err := partfind.ReadGPT(disk)
	if err != nil {
		return efivar.HardDrive{}, err
	}
	return efivar.HardDriveFromTable(t, part)
}
