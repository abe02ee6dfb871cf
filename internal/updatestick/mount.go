package updatestick

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mountFlags: the stick is only read, and nothing on it runs or is a
// device, whoever prepared it.
const mountFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// Mounted is an update stick mounted at Dir.
type Mounted struct {
	Volume Volume
	Dir    string
	m      Mounter
}

// Mount checks that v still holds the same update stick (it may have been
// swapped since Find) and mounts it read-only, nosuid, nodev and noexec
// at dir, which it creates if needed.
func Mount(o Options, v Volume, dir string) (*Mounted, error) {
	if o.BootDisk == "" || v.Disk == o.BootDisk {
		return nil, fmt.Errorf("updatestick: %s is on the boot disk or the boot disk is not known: not mounting it", v.Device)
	}
	r, err := inspect(v.Device, v.Describe)
	switch {
	case !r.match && err != nil:
		return nil, err
	case !r.match:
		return nil, fmt.Errorf("updatestick: %s (%s) no longer holds a FAT volume labelled %s: was the stick removed?", v.Device, v.Describe, Label)
	case r.serial != v.Serial:
		return nil, fmt.Errorf("updatestick: %s (%s) now holds another %s volume (serial %s, not %s): was the stick swapped?",
			v.Device, v.Describe, Label, r.serial, v.Serial)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("updatestick: %w", err)
	}
	m := o.mounter()
	if err := m.Mount(v.Device, dir, "vfat", mountFlags, ""); err != nil {
		return nil, fmt.Errorf("updatestick: mount %s (%s) on %s: %w", v.Device, v.Describe, dir, err)
	}
	return &Mounted{Volume: v, Dir: dir, m: m}, nil
}

// Unmount unmounts the stick. When a file on it is still open (the stick
// was pulled during a copy and a reader has not noticed yet) it detaches
// the mount instead, so that the directory is free for the next stick;
// the kernel drops the mount when the last file closes.
func (m *Mounted) Unmount() error {
	err := m.m.Unmount(m.Dir, 0)
	if errors.Is(err, unix.EBUSY) {
		err = m.m.Unmount(m.Dir, unix.MNT_DETACH)
	}
	if err != nil {
		return fmt.Errorf("updatestick: unmount %s (%s): %w", m.Dir, m.Volume.Device, err)
	}
	return nil
}
