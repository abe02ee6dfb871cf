package datapart

import (
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/partfind"
)

// Errors Find and Mount wrap, for callers that report them differently.
var (
	ErrNotFound  = errors.New("data partition not found")
	ErrAmbiguous = errors.New("data partition ambiguous")
	ErrUnusable  = errors.New("data filesystem unusable")
)

// Find picks the data partition among parts: by PARTUUID, else by label.
// bootDisk (the ESP's disk, may be empty) breaks ties between several
// matches. how says how it was chosen.
func Find(parts []partfind.Partition, d appconfig.Data, bootDisk string) (p partfind.Partition, how string, err error) {
	var notes []string
	if !d.PartUUID.IsZero() {
		m := partfind.ByPartUUID(parts, d.PartUUID)
		p, err := pick(m, bootDisk, "PARTUUID "+d.PartUUID.String())
		if err != nil {
			return p, "", err
		}
		if len(m) > 0 {
			return p, "PARTUUID " + d.PartUUID.String(), nil
		}
		notes = append(notes, "no partition has PARTUUID "+d.PartUUID.String())
	}
	if d.Label != "" {
		m := partfind.ByLabel(parts, d.Label)
		p, err := pick(m, bootDisk, fmt.Sprintf("label %q", d.Label))
		if err != nil {
			return p, "", err
		}
		if len(m) > 0 {
			return p, strings.Join(append(notes, fmt.Sprintf("label %q", d.Label)), "; "), nil
		}
		notes = append(notes, fmt.Sprintf("no partition is labelled %q", d.Label))
	}
	return partfind.Partition{}, "", fmt.Errorf("datapart: %w: %s; partitions seen: %s", ErrNotFound, strings.Join(notes, ", "), describe(parts))
}

// pick returns the single match, or the one on bootDisk among several.
// No match is not an error (zero Partition, nil).
func pick(m []partfind.Partition, bootDisk, what string) (partfind.Partition, error) {
	switch len(m) {
	case 0:
		return partfind.Partition{}, nil
	case 1:
		return m[0], nil
	}
	var onBoot []partfind.Partition
	for _, p := range m {
		if bootDisk != "" && p.Disk == bootDisk {
			onBoot = append(onBoot, p)
		}
	}
	if len(onBoot) == 1 {
		return onBoot[0], nil
	}
	return partfind.Partition{}, fmt.Errorf("datapart: %w: %d partitions match %s (%s): remove the extra disk or wipe the leftover partition", ErrAmbiguous, len(m), what, describe(m))
}

func describe(parts []partfind.Partition) string {
	if len(parts) == 0 {
		return "none"
	}
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmt.Sprintf("%s (PARTUUID %s, label %q)", p.Name, p.PartUUID, p.Label)
	}
	return strings.Join(s, ", ")
}
