package esp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/partfind"
	"golang.org/x/sys/unix"
)

// DefaultMountPoint is where the ESP is mounted.
const DefaultMountPoint = "/boot/efi"

// Mounter mounts and unmounts filesystems; SysMounter is the real one.
type Mounter interface {
	Mount(source, target, fstype string, flags uintptr, data string) error
	Unmount(target string, flags int) error
}

// SysMounter calls mount(2) and umount2(2).
type SysMounter struct{}

func (SysMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, target, fstype, flags, data)
}

func (SysMounter) Unmount(target string, flags int) error { return unix.Unmount(target, flags) }

// Options say where to look and how to mount.
type Options struct {
	SysRoot, DevRoot string        // "/sys", "/dev"
	Vars             efivar.Store  // EFI variables; nil: use the fallback only
	Mounter          Mounter       // nil: SysMounter
	MountPoint       string        // "": DefaultMountPoint
	Wait             time.Duration // how long disks may take to appear; 0: 30 s
	Interval         time.Duration // rescan interval; 0: 500 ms
	// Writable mounts it read-write: the appliance's updater writes the
	// A/B slots (package abslot). Read-only otherwise.
	Writable bool
}

// Result describes the mounted ESP.
type Result struct {
	Partition partfind.Partition
	// Scanned is the scan the ESP was found in: the data partition is
	// usually among its partitions, and a second scan costs a good part
	// of a second on a slow machine.
	Scanned    []partfind.Partition
	How        string // how it was chosen, for the console
	MountPoint string
	ConfigPath string // MountPoint + appconfig.RelPath
}

// mountFlags: nothing on the ESP is executed or a device; read-only
// unless Options.Writable.
const mountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// Mount finds the boot ESP, mounts it (vfat, read-only unless Writable) at the mount point
// and returns where the config file should be. It does not read the
// config: a missing or broken config is the caller's error to report.
func Mount(ctx context.Context, o Options) (Result, error) {
	if o.Mounter == nil {
		o.Mounter = SysMounter{}
	}
	if o.MountPoint == "" {
		o.MountPoint = DefaultMountPoint
	}
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	if err := os.MkdirAll(o.MountPoint, 0o755); err != nil {
		return Result{}, fmt.Errorf("esp: %w", err)
	}
	w := partfind.Waiter{SysRoot: o.SysRoot, DevRoot: o.DevRoot, Interval: o.Interval}
	wctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()

	uuid, lerr := LoaderPartUUID(o.Vars)
	why := ""
	if lerr == nil {
		parts, err := w.Until(wctx, func(ps []partfind.Partition) bool { return len(partfind.ByPartUUID(ps, uuid)) > 0 })
		if found := partfind.ByPartUUID(parts, uuid); len(found) > 0 {
			p := found[0]
			how := fmt.Sprintf("PARTUUID %s from %s", uuid, LoaderDevicePartUUIDVar)
			if len(found) > 1 {
				how += fmt.Sprintf(" (%d partitions share it: cloned disks? using %s)", len(found), p.Name)
			}
			return o.mount(p, parts, how)
		}
		why = fmt.Sprintf("%s says PARTUUID %s, which no disk has (%v)", LoaderDevicePartUUIDVar, uuid, err)
	} else {
		why = lerr.Error()
	}

	parts, err := w.Until(wctx, func(ps []partfind.Partition) bool { return len(partfind.ESPs(ps)) > 0 })
	esps := partfind.ESPs(parts)
	if len(esps) == 0 {
		return Result{}, fmt.Errorf("esp: no EFI system partition found on any disk (%s; scan: %v)", why, err)
	}
	var tried []string
	for _, p := range esps {
		r, err := o.mount(p, parts, "first EFI system partition holding "+appconfig.ESPPath+" ("+why+")")
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if _, err := os.Stat(r.ConfigPath); err == nil {
			return r, nil
		}
		tried = append(tried, fmt.Sprintf("%s: no %s", p.Name, appconfig.ESPPath))
		o.Mounter.Unmount(o.MountPoint, 0)
	}
	return Result{}, fmt.Errorf("esp: no EFI system partition holds %s (%s; tried: %s)", appconfig.ESPPath, why, strings.Join(tried, "; "))
}

// mount mounts p, found in the scan parts.
func (o Options) mount(p partfind.Partition, parts []partfind.Partition, how string) (Result, error) {
	flags := uintptr(mountFlags)
	if !o.Writable {
		flags |= unix.MS_RDONLY
	} else {
		// Linux's vfat writes a renamed file's directory entry when the
		// inode is written back, and the clusters of the file it
		// replaced are freed in the FAT at once: a power cut between the
		// two leaves the old entry pointing at free clusters (seen in the
		// power-cut test: a fallback loader that no longer loads).
		// dirsync makes rename write the new entry before it returns.
		flags |= unix.MS_DIRSYNC
	}
	if err := o.Mounter.Mount(p.Device, o.MountPoint, "vfat", flags, ""); err != nil {
		return Result{}, fmt.Errorf("esp: mount %s (%s) on %s: %w", p.Device, p.PartUUID, o.MountPoint, err)
	}
	return Result{
		Partition:  p,
		Scanned:    parts,
		How:        how,
		MountPoint: o.MountPoint,
		ConfigPath: filepath.Join(o.MountPoint, filepath.FromSlash(appconfig.RelPath)),
	}, nil
}

// HardDrive is the mounted ESP's HD() device path node as firmware
// builds it (UEFI 2.10 section 10.3.5.1): GPT entry number, first LBA and
// size in the disk's logical blocks, PARTUUID. Boot entries for the
// appliance's slots are made of it. sysfs gives start and size in
// 512-byte units whatever the disk's block size.
func (r Result) HardDrive(sysRoot string) (efivar.HardDrive, error) {
	p := r.Partition
	read := func(rel string) (uint64, error) {
		b, err := os.ReadFile(filepath.Join(sysRoot, rel))
		if err != nil {
			return 0, err
		}
		var n uint64
		_, err = fmt.Sscan(strings.TrimSpace(string(b)), &n)
		return n, err
	}
	start, err := read("class/block/" + p.Name + "/start")
	if err != nil {
		return efivar.HardDrive{}, fmt.Errorf("esp: %s start: %w", p.Name, err)
	}
	size, err := read("class/block/" + p.Name + "/size")
	if err != nil {
		return efivar.HardDrive{}, fmt.Errorf("esp: %s size: %w", p.Name, err)
	}
	lbs, err := read("block/" + p.Disk + "/queue/logical_block_size")
	if err != nil || lbs < 512 {
		return efivar.HardDrive{}, fmt.Errorf("esp: %s logical block size %d: %v", p.Disk, lbs, err)
	}
	k := lbs / 512
	return efivar.GPTHardDrive(uint32(p.Number), start/k, size/k, p.PartUUID), nil
}
