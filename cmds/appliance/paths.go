package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/secureboot"
	"github.com/plinth-os/plinth/internal/updatectl"
)

// paths are where the supervisor looks; tests use temporary directories.
type paths struct {
	Root          string // the runtime image's root filesystem
	Sys, Dev, Etc string
	Tmp           string // a tmpfs for everyone
	Efivars       string // efivarfs
	Lockdown      string // the kernel's lockdown mode (securityfs)
	ESP           string // ESP mount point
	Data          string // data partition mount point
	Release       string // release.json in the runtime image
	Product       string // product.json in the runtime image
	ControlSocket string // the local update control (package updatectl)
	Stick         string // where a PLINTHUPD stick is mounted while it is read
	// Downloads holds channel downloads: in RAM, never on /data (which
	// updates do not touch) nor on the ESP, whose FAT a power cut in the
	// middle of a long write leaves in a state the kernel answers by
	// remounting it read-only.
	Downloads string
}

// systemPaths are the target's paths.
func systemPaths() paths {
	return paths{
		Root:          "/",
		Sys:           "/sys",
		Dev:           "/dev",
		Etc:           "/etc",
		Tmp:           "/tmp",
		Efivars:       "/sys/firmware/efi/efivars",
		Lockdown:      secureboot.LockdownPath,
		ESP:           "/boot/efi",
		Data:          "/data",
		Release:       "/etc/plinth/release.json",
		Product:       productspec.Path,
		ControlSocket: updatectl.SocketPath,
		Stick:         "/run/plinth/stick",
		Downloads:     "/run/plinth/updates",
	}
}

// configPath is where the config is once the ESP is mounted.
func (p paths) configPath() string {
	return filepath.Join(p.ESP, filepath.FromSlash(appconfig.RelPath))
}

// release describes the runtime image (written by mkiso); the config's
// product and version win once it is read.
type release struct {
	Product string `json:"product"`
	Version string `json:"version"`
}

func readRelease(path string) release {
	r := release{Product: "Plinth", Version: "unknown"}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &r)
	}
	return r
}
