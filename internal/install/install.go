// Package install carries out an unattended installation: it discovers
// the disks, picks the target by the answers file's selector while
// refusing the boot medium, mounted disks, small disks and (without
// wipe: true) disks holding data, checks the payload against the
// manifest before writing anything, lays out the disk with
// internal/provision, registers the UEFI boot entry (replacing earlier
// ones of ours), and verifies what it wrote by reading it back.
package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/partfind"
	"github.com/plinth-os/plinth/internal/provision"
	"github.com/plinth-os/plinth/internal/sysinfo"
	"github.com/plinth-os/plinth/internal/vfat"
	"golang.org/x/sys/unix"
)

// Files mkiso puts into the installer image.
const (
	ManifestPath   = "/etc/plinth/manifest.json"
	RuntimeUKIPath = "/etc/plinth/runtime.efi"
	AnswersPath    = "/etc/plinth/" + answers.FileName
)

// Manifest describes the payload the installer installs.
type Manifest struct {
	Product          string           `json:"product"`
	Version          string           `json:"version"`
	RuntimeUKISHA256 string           `json:"runtimeUKISHA256"`
	RuntimeUKISize   int64            `json:"runtimeUKISize"`
	Config           appconfig.Config `json:"config"` // installed config before the disk gives it identity
}

// Error is a failure with a code for the error event.
type Error struct {
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(code string, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Code returns the error event code of err.
func Code(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	return installplan.Code(err)
}

// Env is the machine the installer runs on.
type Env struct {
	SysRoot, DevRoot, ProcRoot string
	Vars                       efivar.Store
	Events                     *event.Emitter
	Log                        func(format string, args ...any)
	Req                        installplan.Requirements
	Seed                       []byte // random bytes: new GUIDs per install
}

// Result is what was installed.
type Result struct {
	Plan        *installplan.Plan
	BootEntry   uint16
	OurEntries  []string // Boot#### labelled with our product after the install
	Disk        disk.Disk
	Duration    time.Duration
	BytesOnDisk int64
}

// Run installs unattended.
func Run(ctx context.Context, env Env, a *answers.Answers, m Manifest, uki []byte) (*Result, error) {
	start := time.Now()
	sum := sha256.Sum256(uki)
	if hex.EncodeToString(sum[:]) != m.RuntimeUKISHA256 || int64(len(uki)) != m.RuntimeUKISize {
		return nil, fail("payload-corrupt", "install: the runtime image on the installer medium does not match its manifest (sha256 %x): the medium is damaged, write it again", sum)
	}
	progress := func(step string, percent int) {
		env.Events.Emit("progress", map[string]any{"step": step, "percent": percent})
		env.Log("%3d%%  %s", percent, step)
	}
	progress("discover", 0)
	cands, facts, err := discover(env)
	if err != nil {
		return nil, err
	}
	for _, c := range cands {
		state := "eligible"
		if !c.Eligible {
			state = "not eligible: " + strings.Join(c.Reasons, "; ")
		}
		env.Log("disk %s: %s", c.Describe(), state)
	}
	if err := installplan.CheckMachine(facts, env.Req); err != nil {
		return nil, err
	}
	c, err := installplan.Select(cands, a.Disk)
	if err != nil {
		return nil, err
	}
	if err := installplan.Confirm(c, a.Wipe, ""); err != nil {
		return nil, err
	}
	seed := append(append([]byte(nil), env.Seed...), c.Disk.Serial...)
	plan, err := installplan.MakePlan(c, a, m.Product, m.Version, m.RuntimeUKISize, seed)
	if err != nil {
		return nil, err
	}
	planJSON, _ := plan.JSON()
	var planObj map[string]any
	json.Unmarshal(planJSON, &planObj)
	env.Events.Emit("plan", map[string]any{"plan": planObj})

	info, _ := sysinfo.Read(env.ProcRoot, env.SysRoot)
	base := m.Config
	if a.Hostname != "" {
		base.Hostname = a.Hostname
	}
	base.Network = networkConfig(a.Network)
	cfg := provision.Config(base, plan.Layout, appconfig.Identity{Product: m.Product, ProductUUID: info.ProductUUID, DiskSerial: c.Disk.Serial})
	if a.Hostname != "" {
		cfg.Hostname = a.Hostname // provision.Config derives one; the answers win
	}
	loader := installplan.LoaderPath(m.Product)

	l := plan.Layout
	dev := filepath.Join(env.DevRoot, c.Disk.Name)
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return nil, fail("disk-open", "install: open %s: %w", c.Describe(), err)
	}
	defer f.Close()
	gd, err := gpt.Open(dev, l.SectorSize)
	if err != nil {
		return nil, fail("disk-open", "install: %s: %w", c.Describe(), err)
	}
	defer gd.Close()
	percents := map[string]int{"format-esp": 20, "format-data": 45, "partition": 70}
	err = provision.Write(f, l, provision.Content{
		RuntimeUKI: uki, LoaderPath: loader, Config: cfg, ModTime: time.Now(),
		WriteTable: func(t *gpt.Table) error { return gd.Commit(t, true) },
		Progress:   func(step string) { progress(step, percents[step]) },
	})
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return nil, fail("install-write", "install: write %s: %w", c.Describe(), err)
	}

	progress("boot-entry", 80)
	num, err := bootEntry(env.Vars, m.Product, l, loader)
	if err != nil {
		return nil, err
	}
	progress("verify", 90)
	if err := verify(f, l, loader, uki, cfg, env.Vars, num, partitionDevice(env.DevRoot, c.Disk.Name, 2)); err != nil {
		return nil, err
	}
	ours, _ := ourEntries(env.Vars, m.Product)
	progress("done", 100)
	return &Result{Plan: plan, BootEntry: num, OurEntries: ours, Disk: c.Disk, Duration: time.Since(start)}, nil
}

func networkConfig(n answers.Network) appconfig.Network {
	out := appconfig.Network{Mode: appconfig.ModeDHCP}
	if n.Mode == appconfig.ModeStatic {
		out.Mode = appconfig.ModeStatic
		out.Address = n.Address.String()
		if n.Gateway.IsValid() {
			out.Gateway = n.Gateway.String()
		}
	}
	for _, d := range n.DNS {
		out.DNS = append(out.DNS, d.String())
	}
	return out
}

// discover lists the disks with the facts that decide which may be used.
func discover(env Env) ([]installplan.Candidate, installplan.Facts, error) {
	disks, err := disk.Scan(env.SysRoot)
	if err != nil {
		return nil, installplan.Facts{}, fail("discover", "install: %w", err)
	}
	facts := installplan.Facts{Signatures: map[string][]string{}}
	if mi, err := os.Open(filepath.Join(env.ProcRoot, "self", "mountinfo")); err == nil {
		facts.Mounts, _ = installplan.ParseMountinfo(mi)
		mi.Close()
	}
	info, err := sysinfo.Read(env.ProcRoot, env.SysRoot)
	if err == nil {
		facts.RAM, facts.CPUs = info.MemoryBytes, info.CPUs
	}
	// The boot medium: the disk holding the partition systemd-stub booted from.
	if env.Vars != nil {
		if uuid, err := esp.LoaderPartUUID(env.Vars); err == nil && uuid != "" {
			if parts, err := partfind.Scan(env.SysRoot, env.DevRoot); err == nil {
				for _, p := range partfind.ByPartUUID(parts, uuid) {
					facts.BootDisk = p.Disk
				}
			}
		}
	}
	for _, d := range disks {
		f, err := os.Open(filepath.Join(env.DevRoot, d.Name))
		if err != nil {
			continue // no medium
		}
		facts.Signatures[d.Name] = installplan.DetectSignatures(f, d.Size)
		f.Close()
	}
	return installplan.Candidates(disks, facts, env.Req), facts, nil
}

func efiGUID(g gpt.GUID) efivar.GUID {
	e, _ := efivar.ParseGUID(g.String())
	return e
}

// bootEntry creates (or replaces) our Boot#### and puts it first.
func bootEntry(vars efivar.Store, label string, l provision.Layout, loader string) (uint16, error) {
	if vars == nil {
		return 0, fail("boot-entry", "install: no UEFI variables: the machine was not booted in UEFI mode")
	}
	hd := efivar.GPTHardDrive(1, l.ESP.FirstLBA, l.ESP.Sectors(), efiGUID(l.ESP.GUID))
	dp, err := efivar.DiskBootPath(hd, "/"+loader)
	if err != nil {
		return 0, fail("boot-entry", "install: boot entry: %w", err)
	}
	num, err := efivar.EnsureBootEntry(vars, label, dp)
	if err != nil {
		return 0, fail("boot-entry", "install: boot entry: %w", err)
	}
	return num, nil
}

func ourEntries(vars efivar.Store, label string) ([]string, error) {
	entries, err := efivar.ListBootEntries(vars)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Option != nil && e.Option.Description == label {
			out = append(out, efivar.BootOptionName(e.Num))
		}
	}
	return out, nil
}

// partitionDevice names partition n of a disk the way the kernel does.
func partitionDevice(devRoot, diskName string, n int) string {
	sep := ""
	if last := diskName[len(diskName)-1]; last >= '0' && last <= '9' {
		sep = "p" // nvme0n1p2, mmcblk0p2
	}
	return filepath.Join(devRoot, fmt.Sprintf("%s%s%d", diskName, sep, n))
}

// verify reads back what was written: the partition table, every file
// on the ESP, the boot entry, and a write/read round trip on the data
// partition.
func verify(f *os.File, l provision.Layout, loader string, uki []byte, cfg *appconfig.Config, vars efivar.Store, num uint16, dataDev string) error {
	t, err := gpt.Read(f, l.DiskSize, l.SectorSize)
	if err != nil {
		return fail("verify", "install: verify: re-read partition table: %w", err)
	}
	if p := t.Partition(1); p == nil || p.GUID != l.ESP.GUID || p.FirstLBA != l.ESP.FirstLBA {
		return fail("verify", "install: verify: the ESP is not where it was written")
	}
	if p := t.Partition(2); p == nil || p.GUID != l.Data.GUID || p.LastLBA != l.Data.LastLBA {
		return fail("verify", "install: verify: the data partition is not where it was written")
	}
	fsys, err := vfat.Open(f, l.Offset(l.ESP), l.Size(l.ESP))
	if err != nil {
		return fail("verify", "install: verify: open ESP: %w", err)
	}
	wantCfg, _ := appconfig.Marshal(cfg)
	for path, want := range map[string][]byte{loader: uki, provision.FallbackPath: uki, appconfig.RelPath: wantCfg} {
		got, err := fsys.ReadFile(path)
		if err != nil {
			return fail("verify", "install: verify: read %s: %w", path, err)
		}
		if sha256.Sum256(got) != sha256.Sum256(want) {
			return fail("verify", "install: verify: %s on the disk differs from what was written", path)
		}
	}
	opt, err := efivar.ReadBootEntry(vars, num)
	if err != nil {
		return fail("verify", "install: verify: read %s: %w", efivar.BootOptionName(num), err)
	}
	if got := opt.Path().LoaderPath(); !strings.EqualFold(got, `\`+strings.ReplaceAll(loader, "/", `\`)) {
		return fail("verify", "install: verify: %s loads %q, want %q", efivar.BootOptionName(num), got, loader)
	}
	return dataRoundTrip(dataDev)
}

// dataRoundTrip mounts the new data partition, writes, reads back and
// removes a file, and unmounts it.
func dataRoundTrip(dev string) error {
	dir, err := os.MkdirTemp("", "plinth-verify-")
	if err != nil {
		return fail("verify", "install: verify: %w", err)
	}
	defer os.Remove(dir)
	if err := unix.Mount(dev, dir, "ext4", 0, ""); err != nil {
		return fail("verify", "install: verify: mount data partition %s: %w", dev, err)
	}
	defer unix.Unmount(dir, 0)
	probe := bytes.Repeat([]byte("plinth verify "), 4096)
	p := filepath.Join(dir, ".plinth-verify")
	if err := os.WriteFile(p, probe, 0o600); err != nil {
		return fail("verify", "install: verify: write to the data partition: %w", err)
	}
	unix.Sync()
	got, err := os.ReadFile(p)
	os.Remove(p)
	if err != nil || !bytes.Equal(got, probe) {
		return fail("verify", "install: verify: data partition read-back differs (%v)", err)
	}
	if err := unix.Unmount(dir, 0); err != nil {
		return fail("verify", "install: verify: unmount data partition: %w", err)
	}
	return nil
}
