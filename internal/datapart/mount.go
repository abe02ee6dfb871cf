package datapart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/partfind"
	"golang.org/x/sys/unix"
)

// DefaultMountPoint is where the data partition is mounted.
const DefaultMountPoint = "/data"

// Subdirs are created on the data partition after mounting.
func Subdirs() []string { return []string{"wal", "snapshots", "metadata", "log"} }

// Mounter mounts filesystems; SysMounter is the real one.
type Mounter interface {
	Mount(source, target, fstype string, flags uintptr, data string) error
}

// SysMounter calls mount(2).
type SysMounter struct{}

func (SysMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, target, fstype, flags, data)
}

// Options say where to look and how to mount.
type Options struct {
	SysRoot, DevRoot string
	BootDisk         string // kernel name of the ESP's disk, to break ties
	// Known is an earlier scan (the ESP's, this boot): the partition is
	// taken from it when it is there, without scanning again.
	Known      []partfind.Partition
	Mounter    Mounter       // nil: SysMounter
	MountPoint string        // "": DefaultMountPoint
	Wait       time.Duration // how long disks may take to appear; 0: 30 s
	Interval   time.Duration // rescan interval; 0: 500 ms
}

// Result describes the mounted data partition.
type Result struct {
	Partition  partfind.Partition
	How        string
	Report     Report
	MountPoint string
}

// mountFlags: data is not executable payload and holds no devices;
// noatime spares flash from a write per read.
const mountFlags = unix.MS_NOATIME | unix.MS_NODEV | unix.MS_NOSUID

// mountData makes ext4 go read-only on corruption rather than continue
// writing over it (mkfs's default is "continue").
const mountData = "errors=remount-ro"

// partitions are o.Known when they hold d's partition, else the disks'
// partitions scanned until they do or o.Wait ends.
func (o Options) partitions(ctx context.Context, d appconfig.Data) ([]partfind.Partition, error) {
	holds := func(ps []partfind.Partition) bool {
		_, _, err := Find(ps, d, o.BootDisk)
		return err == nil
	}
	if holds(o.Known) {
		return o.Known, nil
	}
	wctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()
	w := partfind.Waiter{SysRoot: o.SysRoot, DevRoot: o.DevRoot, Interval: o.Interval}
	return w.Until(wctx, holds)
}

// Mount finds the data partition described by d, checks it, mounts it
// ext4 at the mount point and creates Subdirs.
func Mount(ctx context.Context, o Options, d appconfig.Data) (Result, error) {
	if o.Mounter == nil {
		o.Mounter = SysMounter{}
	}
	if o.MountPoint == "" {
		o.MountPoint = DefaultMountPoint
	}
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	if d.FSType != appconfig.FSExt4 {
		return Result{}, fmt.Errorf("datapart: filesystem type %q is not supported", d.FSType)
	}
	parts, scanErr := o.partitions(ctx, d)
	p, how, err := Find(parts, d, o.BootDisk)
	if err != nil {
		if scanErr != nil && !errors.Is(scanErr, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (scan: %v)", err, scanErr)
		}
		return Result{}, err
	}
	res := Result{Partition: p, How: how, MountPoint: o.MountPoint}
	if res.Report, err = CheckDevice(p.Device); err != nil {
		return res, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	if err := os.MkdirAll(o.MountPoint, 0o755); err != nil {
		return res, fmt.Errorf("datapart: %w", err)
	}
	if err := o.Mounter.Mount(p.Device, o.MountPoint, "ext4", mountFlags, mountData); err != nil {
		return res, fmt.Errorf("datapart: mount %s (%s) on %s: %w", p.Device, how, o.MountPoint, err)
	}
	for _, dir := range Subdirs() {
		if err := os.MkdirAll(filepath.Join(o.MountPoint, dir), 0o755); err != nil {
			return res, fmt.Errorf("datapart: %w", err)
		}
	}
	return res, nil
}
