package install

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/background"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gptdev"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/provision"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/step"
)

// execution is one plan being carried out.
type execution struct {
	env   Env
	plan  *installplan.Plan
	start time.Time
	dev   *os.File     // the target disk, open for writing
	gd    *gptdev.Disk // the same, for committing the GPT
	out   *countingFile
	files map[string][]byte // the ESP's files by path, checked against the plan
	// espRead is the ESP's read-back, started once the ESP is flushed;
	// checks are all verifications running beside the install, waited
	// for before the disk is closed.
	espRead *background.Job
	checks  []*background.Job
}

// beside starts the verification f beside the install.
func (x *execution) beside(f func() error) *background.Job {
	j := background.Go(f)
	x.checks = append(x.checks, j)
	return j
}

// execute carries out plan, and nothing else: these steps, in order.
// payload holds the bytes of the plan's ESP files by source, and known
// the SHA-256 of those already checked (checkRequest); start is when the
// install began, for the elapsed time in progress reports.
func execute(env Env, plan *installplan.Plan, payload map[installplan.Source][]byte, known map[installplan.Source][32]byte, start time.Time) (*Result, error) {
	files, err := espFiles(plan, payload, known)
	if err != nil {
		return nil, err
	}
	x := &execution{env: env, plan: plan, start: start, files: files}
	var fileBytes int64
	for _, f := range files {
		fileBytes += int64(len(f))
	}
	// Bytes to write: the ESP files, and the filesystems' metadata
	// (measured: about 1.3 MiB for the FAT32 ESP, 130 KiB for an 8 GiB
	// ext4).
	if err := x.open(fileBytes + 2<<20); err != nil {
		return nil, err
	}
	defer x.close()
	// The read-back of the ESP (0.15 to 0.2 s under emulation, a third of
	// an install) starts once the ESP is on the disk (formatted) and runs
	// beside the rest of the writes; the ext4 round trip runs beside the
	// boot entry. The verify step went from 0.21 to 0.07 s so, and the
	// install from 0.63-0.84 s to 0.52-0.60 s (TestUnattendedInstall).
	if err := x.write(files, fileBytes); err != nil {
		return nil, written(err)
	}
	data := x.beside(x.verifyData)
	num, err := x.bootEntry()
	if err != nil {
		return nil, written(err)
	}
	if err := x.verify(num, data); err != nil {
		return nil, written(err)
	}
	if err := x.enroll(); err != nil {
		return nil, err
	}
	ours, _ := ourEntries(env.Vars, plan.BootEntry.Label)
	x.progress(step.Done)
	return &Result{Plan: plan, BootEntry: num, OurEntries: ours, Duration: time.Since(start), BytesOnDisk: x.out.n,
		SecureBootEnrolled: plan.SecureBoot.Enroll}, nil
}

// enroll enrolls the Secure Boot keys if the plan says so: last, after
// the disk was verified, so that a failed install leaves the firmware as
// it was. Its failure leaves an installed disk, which the error says.
func (x *execution) enroll() error {
	d := x.plan.SecureBoot
	if !d.Enroll {
		return nil
	}
	x.progress(step.SecureBoot)
	vars, ok := x.env.Vars.(efivar.AuthStore)
	if !ok {
		return &Error{Code: errcode.Internal, Wrote: true, Installed: true,
			Err: fmt.Errorf("install: the disk is installed and verified, but the variable store %T cannot write Secure Boot keys", x.env.Vars)}
	}
	if err := sbenroll.Enroll(vars, x.env.SecureBootKeys, d, x.env.log); err != nil {
		return &Error{Code: sbenroll.Code(err), Wrote: true, Installed: true,
			Err: fmt.Errorf("install: the disk is installed and verified, but the Secure Boot keys were not enrolled: %w", err)}
	}
	return nil
}

// espFiles gathers the bytes of each file the plan puts on the ESP, by
// its source, and checks them against the plan's size and digest. A
// source is hashed once however many files it fills (the runtime UKI is
// its slot and the removable-media copy), and not at all when known has
// its digest already: hashing megabytes is most of the CPU an install
// uses on a slow machine.
func espFiles(plan *installplan.Plan, payload map[installplan.Source][]byte, known map[installplan.Source][32]byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	sums := maps.Clone(known)
	if sums == nil {
		sums = map[installplan.Source][32]byte{}
	}
	for _, f := range plan.ESPFiles {
		data := payload[f.Source]
		switch {
		case data != nil:
		case f.Source == installplan.FromConfig:
			b, err := appconfig.Marshal(plan.Installed)
			if err != nil {
				return nil, fail(errcode.Internal, "install: %s: %w", f.Path, err)
			}
			data = b
		case f.Source == installplan.FromSlotState && plan.Slots != nil:
			b, err := plan.Slots.Marshal()
			if err != nil {
				return nil, fail(errcode.Internal, "install: %s: %w", f.Path, err)
			}
			data = b
		default:
			return nil, fail(errcode.Internal, "install: %s: the plan names no source for it", f.Path)
		}
		sum, ok := sums[f.Source]
		if !ok {
			sum = sha256.Sum256(data)
			sums[f.Source] = sum
		}
		if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fail(errcode.Internal, "install: %s: %d bytes with sha256 %x, the plan says %d bytes with sha256 %q", f.Path, len(data), sum, f.Size, f.SHA256)
		}
		files[f.Path] = data
	}
	return files, nil
}

// open opens the plan's disk for writing; about total bytes will be written.
func (x *execution) open(total int64) error {
	d := x.plan.Disk
	path := filepath.Join(x.env.DevRoot, d.Name)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fail(errcode.DiskOpen, "install: open %s: %w", path, err)
	}
	gd, err := gptdev.Open(path, d.SectorSize, blockdev.Roots{Sys: x.env.SysRoot, Dev: x.env.DevRoot, Proc: x.env.ProcRoot})
	if err != nil {
		f.Close()
		return fail(errcode.DiskOpen, "install: %s: %w", path, err)
	}
	x.dev, x.gd = f, gd
	x.out = &countingFile{File: f, total: total}
	if d, err := blockdev.OpenDirectWriter(path); err == nil {
		x.out.direct = d
	} else {
		x.env.log("install: %v; writing through the page cache", err)
	}
	return nil
}

func (x *execution) close() {
	for _, j := range x.checks {
		j.Wait()
	}
	if x.out.direct != nil {
		x.out.direct.Close()
	}
	x.gd.Close()
	x.dev.Close()
}

// progress reports step s as it starts, with the bytes written so far.
func (x *execution) progress(s step.Name) {
	n := x.out.n
	x.env.progress(Progress{Step: s, Percent: stepFrom(s), Bytes: n, Total: max(n, x.out.total), Elapsed: time.Since(x.start)})
}

// write lays the plan's partitions, filesystems and ESP files onto the
// disk (steps format-esp, format-data, partition), then syncs it.
func (x *execution) write(files map[string][]byte, fileBytes int64) error {
	d := provision.Disk{
		Size: x.plan.Disk.Size, SectorSize: x.plan.Disk.SectorSize, GUID: x.plan.Disk.GUID,
		ModTime:    time.Now(),
		WriteTable: func(t *gpt.Table) error { return x.gd.Commit(t, true) },
	}
	for _, p := range x.plan.Partitions {
		part := provision.Part{Partition: p.Partition, Filesystem: p.Filesystem, Label: p.Label}
		if p.Type == gpt.TypeESP {
			part.Files = files
		}
		d.Parts = append(d.Parts, part)
	}
	cw := x.out
	cur, _ := step.Lookup(step.FormatESP)
	report := func() {
		x.env.progress(Progress{Step: cur.Name, Percent: cur.Percent(cw.stepBytes, cw.stepTotal), Bytes: min(cw.n, cw.total), Total: cw.total, Elapsed: time.Since(x.start)})
	}
	cw.onWrite = report
	d.Formatted = x.formatted
	d.Progress = func(s step.Name) {
		cur, _ = step.Lookup(s)
		cw.stepBytes, cw.stepTotal = 0, stepBytes(s, fileBytes)
		cw.report()
	}
	err := provision.WriteDisk(cw, d)
	cw.onWrite = nil
	if err == nil {
		x.progress(step.Sync)
		err = x.dev.Sync()
	}
	if err != nil {
		return failWritten(errcode.InstallWrite, "install: write %s: %w", x.plan.Disk.Path, err)
	}
	x.out.total = x.out.n
	return nil
}

// formatted flushes the ESP once it is written and starts reading it
// back, beside the writes still to come: it is the most of what is read
// back, and reading waits on the disk, not on the CPU.
func (x *execution) formatted(p provision.Part) error {
	if p.Type != gpt.TypeESP {
		return nil
	}
	if err := x.dev.Sync(); err != nil {
		return fmt.Errorf("flush the ESP: %w", err)
	}
	x.espRead = x.beside(x.readBackESP)
	return nil
}

// bootEntry creates (or replaces) the plan's Boot#### and puts it first.
func (x *execution) bootEntry() (uint16, error) {
	x.progress(step.BootEntry)
	if x.env.Vars == nil {
		return 0, fail(errcode.BootEntry, "install: no UEFI variables: the machine was not booted in UEFI mode")
	}
	b := x.plan.BootEntry
	o, err := b.Option()
	if err != nil {
		return 0, fail(errcode.Internal, "install: boot entry: %w", err)
	}
	num, err := efivar.EnsureBootOption(x.env.Vars, o)
	if err != nil {
		return 0, fail(errcode.BootEntry, "install: boot entry: %w", err)
	}
	return num, nil
}

// ourEntries lists the Boot#### entries labelled label.
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
