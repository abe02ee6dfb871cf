package provision

import (
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/appconfig"
)

// Image is a ready-to-boot disk image: the runtime UKI committed in slot
// A with nothing on trial, as an install leaves a disk. mkiso's -disk
// writes one, and the boot benchmark's runtime baseline is one, so that
// both boot from the same layout.
type Image struct {
	Size int64
	// Seed gives the GUIDs, and through them the machine ID and host
	// name: the same seed, the same image.
	Seed []byte
	// Base is the config before the layout is known; its Product names
	// the machine and its Version the slot.
	Base       appconfig.Config
	RuntimeUKI []byte
	// Shim and MokManager, when set, boot the UKI through shim.
	Shim, MokManager []byte
	ModTime          time.Time
}

// ImageFile is what WriteImage writes to: a file it can size.
type ImageFile interface {
	io.WriterAt
	Truncate(size int64) error
}

// WriteImage sizes f to img.Size and writes the image's metadata and
// files into it (the rest stays a hole), and returns its layout.
func WriteImage(f ImageFile, img Image) (Layout, error) {
	l, err := Plan(img.Size, 512, 0, img.Seed)
	if err != nil {
		return Layout{}, err
	}
	slots, err := abslot.NewState(img.Base.Version, int64(len(img.RuntimeUKI)), sha256.Sum256(img.RuntimeUKI)).Marshal()
	if err != nil {
		return Layout{}, fmt.Errorf("provision: slot state: %w", err)
	}
	if err := f.Truncate(img.Size); err != nil {
		return Layout{}, fmt.Errorf("provision: size the image: %w", err)
	}
	c := Content{RuntimeUKI: img.RuntimeUKI, LoaderPath: abslot.A.Path(), Shim: img.Shim, MokManager: img.MokManager,
		Config:  Config(img.Base, l, appconfig.Identity{Product: img.Base.Product}),
		ModTime: img.ModTime, Files: map[string][]byte{abslot.StatePath: slots}}
	return l, Write(f, l, c)
}
