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
	"errors"
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
	Code  string
	Err   error
	Wrote bool // the target disk had been written to
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(code string, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// failWritten is fail after the disk has been written to.
func failWritten(code string, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...), Wrote: true}
}

// Code returns the error event code of err.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return installplan.Code(err)
}

// Wrote reports whether err happened after the target disk was written to.
func Wrote(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Wrote
}

// Progress is how far an install is.
type Progress struct {
	Step    string
	Percent int
	Bytes   int64         // written to the disk so far
	Total   int64         // expected bytes to write
	Elapsed time.Duration // since the install started; 0 before
}

// Env is the machine the installer runs on.
type Env struct {
	SysRoot, DevRoot, ProcRoot string
	Vars                       efivar.Store
	Events                     *event.Emitter
	Log                        func(format string, args ...any)
	Req                        installplan.Requirements
	Seed                       []byte // random bytes: new GUIDs per install
	// Progress, if set, is told each step and, while writing, the bytes.
	Progress func(Progress)
	// Exclude names disks that are never candidates besides the boot
	// medium (the answers volume's disk).
	Exclude map[string]string // kernel name -> reason
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

// CheckPayload compares the runtime UKI with the manifest: a damaged
// medium must be found before any disk is touched.
func CheckPayload(m Manifest, uki []byte) error {
	sum := sha256.Sum256(uki)
	if hex.EncodeToString(sum[:]) != m.RuntimeUKISHA256 || int64(len(uki)) != m.RuntimeUKISize {
		return fail("payload-corrupt", "install: the runtime image on the installer medium does not match its manifest (sha256 %x): the medium is damaged, write it again", sum)
	}
	return nil
}

// Run installs unattended: the disk is the one a.Disk selects, and a
// disk holding data is only overwritten with a.Wipe.
func Run(ctx context.Context, env Env, a *answers.Answers, m Manifest, uki []byte) (*Result, error) {
	if err := CheckPayload(m, uki); err != nil {
		return nil, err
	}
	env.progress(Progress{Step: "discover"})
	cands, facts, err := Discover(env)
	if err != nil {
		return nil, err
	}
	for _, c := range cands {
		state := "eligible"
		if !c.Eligible {
			state = "not eligible: " + strings.Join(c.Reasons, "; ")
		}
		env.log("disk %s: %s", c.Describe(), state)
	}
	if err := installplan.CheckMachine(facts, env.Req); err != nil {
		return nil, err
	}
	c, err := installplan.Select(cands, a.Disk)
	if err != nil {
		return nil, err
	}
	return Install(ctx, env, c, a, "", m, uki)
}

func (env Env) progress(p Progress) {
	if env.Events != nil {
		ev := map[string]any{"step": p.Step, "percent": p.Percent}
		if p.Elapsed > 0 {
			ev["seconds"] = p.Elapsed.Seconds()
		}
		if p.Total > 0 {
			ev["bytes"], ev["total"] = p.Bytes, p.Total
		}
		env.Events.Emit("progress", ev)
	}
	if env.Progress != nil {
		env.Progress(p)
	}
}

func (env Env) log(format string, args ...any) {
	if env.Log != nil {
		env.Log(format, args...)
	}
}

// Install installs onto target, which the user chose earlier: the disks
// are looked at again, and the disk must still be there, be the same
// disk (serial, WWN, model, size), be eligible, and be confirmed by
// a.Wipe or the typed id if it holds data.
func Install(ctx context.Context, env Env, target installplan.Candidate, a *answers.Answers, typed string, m Manifest, uki []byte) (*Result, error) {
	start := time.Now()
	if err := CheckPayload(m, uki); err != nil {
		return nil, err
	}
	cands, _, err := Discover(env)
	if err != nil {
		return nil, err
	}
	progress := func(p Progress) {
		p.Elapsed = time.Since(start)
		env.progress(p)
	}
	var c *installplan.Candidate
	for i := range cands {
		d := cands[i].Disk
		if d.Name == target.Disk.Name && d.Serial == target.Disk.Serial && d.WWN == target.Disk.WWN && d.Size == target.Disk.Size && d.Model == target.Disk.Model {
			c = &cands[i]
		}
	}
	if c == nil {
		return nil, fail("disk-changed", "install: the disk %s is no longer there or has changed: nothing written", target.Describe())
	}
	if err := installplan.Confirm(*c, a.Wipe, typed); err != nil {
		return nil, err
	}
	progress(Progress{Step: "plan", Percent: 5})
	seed := append(append([]byte(nil), env.Seed...), c.Disk.Serial...)
	plan, err := installplan.MakePlan(*c, a, m.Product, m.Version, m.RuntimeUKISize, seed)
	if err != nil {
		return nil, err
	}
	planJSON, _ := plan.JSON()
	var planObj map[string]any
	json.Unmarshal(planJSON, &planObj)
	if env.Events != nil {
		env.Events.Emit("plan", map[string]any{"plan": planObj})
	}

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
	// Bytes: the UKI twice, the config, and the filesystems' metadata
	// (measured: about 1.3 MiB for the FAT32 ESP, 130 KiB for an 8 GiB ext4).
	cw := &countingFile{File: f, total: 2*int64(len(uki)) + 2<<20}
	steps := map[string][2]int{"format-esp": {10, 60}, "format-data": {60, 70}, "partition": {70, 72}}
	step := "format-esp"
	report := func() {
		r := steps[step]
		pct := r[0]
		if cw.total > 0 {
			pct = r[0] + int(float64(r[1]-r[0])*min(1, float64(cw.stepBytes)/float64(max(1, cw.stepTotal))))
		}
		progress(Progress{Step: step, Percent: pct, Bytes: min(cw.n, cw.total), Total: cw.total})
	}
	cw.onWrite = report
	err = provision.Write(cw, l, provision.Content{
		RuntimeUKI: uki, LoaderPath: loader, Config: cfg, ModTime: time.Now(),
		WriteTable: func(t *gpt.Table) error { return gd.Commit(t, true) },
		Progress: func(s string) {
			step, cw.stepBytes = s, 0
			cw.stepTotal = map[string]int64{"format-esp": 2*int64(len(uki)) + 1<<20, "format-data": 1 << 20, "partition": 64 << 10}[s]
			report()
		},
	})
	if err == nil {
		progress(Progress{Step: "sync", Percent: 74, Bytes: cw.n, Total: max(cw.n, cw.total)})
		err = f.Sync()
	}
	if err != nil {
		return nil, failWritten("install-write", "install: write %s: %w", c.Describe(), err)
	}
	written := cw.n

	progress(Progress{Step: "boot-entry", Percent: 80, Bytes: written, Total: written})
	num, err := bootEntry(env.Vars, m.Product, l, loader)
	if err != nil {
		err.(*Error).Wrote = true
		return nil, err
	}
	progress(Progress{Step: "verify", Percent: 90, Bytes: written, Total: written})
	// Drop the disk's cached pages, so the read-back below comes from
	// the disk and not from memory. Image files (tests) have no such
	// cache to drop; that is not an error.
	if err := unix.IoctlSetInt(int(f.Fd()), unix.BLKFLSBUF, 0); err != nil && !errors.Is(err, unix.ENOTTY) && !errors.Is(err, unix.EINVAL) {
		return nil, failWritten("verify", "install: verify: flush the cache of %s: %w", c.Describe(), err)
	}
	if err := verify(f, l, loader, strings.ToLower(m.RuntimeUKISHA256), cfg, env.Vars, num, partitionDevice(env.DevRoot, c.Disk.Name, 2)); err != nil {
		err.(*Error).Wrote = true
		return nil, err
	}
	ours, _ := ourEntries(env.Vars, m.Product)
	progress(Progress{Step: "done", Percent: 100, Bytes: written, Total: written})
	return &Result{Plan: plan, BootEntry: num, OurEntries: ours, Disk: c.Disk, Duration: time.Since(start), BytesOnDisk: written}, nil
}

// countingFile counts the bytes written through it for the progress
// bar. It keeps Fd and Stat, so the formatters still find the fast
// paths (hole detection, BLKZEROOUT) of the file underneath.
type countingFile struct {
	*os.File
	n, total             int64
	stepBytes, stepTotal int64
	onWrite              func()
	lastReport           time.Time
}

func (c *countingFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.File.WriteAt(p, off)
	c.n += int64(n)
	c.stepBytes += int64(n)
	if c.onWrite != nil && time.Since(c.lastReport) > 100*time.Millisecond {
		c.lastReport = time.Now()
		c.onWrite()
	}
	return n, err
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

// Discover lists the disks with the facts that decide which may be used.
func Discover(env Env) ([]installplan.Candidate, installplan.Facts, error) {
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
		if uuid, err := esp.LoaderPartUUID(env.Vars); err == nil && !uuid.IsZero() {
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
	cands := installplan.Candidates(disks, facts, env.Req)
	for i := range cands {
		if why, ok := env.Exclude[cands[i].Disk.Name]; ok {
			cands[i].Eligible = false
			cands[i].Reasons = append(cands[i].Reasons, why)
			cands[i].Codes = append(cands[i].Codes, installplan.CodeDiskIneligible)
		}
	}
	return cands, facts, nil
}

// bootEntry creates (or replaces) our Boot#### and puts it first.
func bootEntry(vars efivar.Store, label string, l provision.Layout, loader string) (uint16, error) {
	if vars == nil {
		return 0, fail("boot-entry", "install: no UEFI variables: the machine was not booted in UEFI mode")
	}
	hd := efivar.GPTHardDrive(1, l.ESP.FirstLBA, l.ESP.Sectors(), l.ESP.GUID)
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
func verify(f *os.File, l provision.Layout, loader string, ukiSHA256 string, cfg *appconfig.Config, vars efivar.Store, num uint16, dataDev string) error {
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
	// Each file is read back and hashed once, against the digest of what
	// was written: the manifest's for the UKI copies (the payload was
	// checked against it before writing), the config's own.
	wantCfg, _ := appconfig.Marshal(cfg)
	cfgSum := sha256.Sum256(wantCfg)
	for path, want := range map[string]string{loader: ukiSHA256, provision.FallbackPath: ukiSHA256, appconfig.RelPath: hex.EncodeToString(cfgSum[:])} {
		got, err := fsys.ReadFile(path)
		if err != nil {
			return fail("verify", "install: verify: read %s: %w", path, err)
		}
		if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != want {
			return fail("verify", "install: verify: %s on the disk differs from what was written (sha256 %x, want %s)", path, sum, want)
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
