package install

import (
	"reflect"
	"strings"
	"sync"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/partfind"
	"github.com/plinth-os/plinth/internal/sysinfo"
)

// Discover lists the disks with the facts that decide which may be used.
func Discover(env Env) ([]installplan.Candidate, installplan.Facts, error) {
	s, err := Look(env)
	if err != nil {
		return nil, installplan.Facts{}, err
	}
	return s.Candidates(env), s.Facts, nil
}

// Survey is one look at the machine's disks: what Discover decides from.
// Reading the disks takes a good part of a second on a slow machine; the
// decisions take none, so one look serves both the installer's disk list
// and the upgrade's (whose minimum disk size is none).
type Survey struct {
	Disks []disk.Disk
	Facts installplan.Facts
}

// Look reads the disks and the facts about them and the machine.
func Look(env Env) (Survey, error) {
	disks, err := disk.Scan(env.SysRoot)
	if err != nil {
		return Survey{}, fail(errcode.Discover, "install: %w", err)
	}
	facts := installplan.Facts{Signatures: map[string][]string{}, InUse: map[string][]blockdev.Use{}}
	info, err := sysinfo.Read(env.ProcRoot, env.SysRoot)
	if err == nil {
		facts.RAM, facts.CPUs = info.MemoryBytes, info.CPUs
	}
	facts.BootDisk = bootDisk(env)
	roots := blockdev.Roots{Sys: env.SysRoot, Dev: env.DevRoot, Proc: env.ProcRoot}
	// The disks are looked at side by side: each look mostly waits on
	// its disk (an optical drive's reads take a tenth of a second under
	// emulation).
	looks := make([]diskLook, len(disks))
	var wg sync.WaitGroup
	for i, d := range disks {
		wg.Go(func() { looks[i] = lookAt(roots, d) })
	}
	wg.Wait()
	for i, d := range disks {
		facts.InUse[d.Name] = looks[i].inUse
		if looks[i].read {
			facts.Signatures[d.Name] = looks[i].signatures
		}
	}
	return Survey{Disks: disks, Facts: facts}, nil
}

// Unchanged reports whether the disks are still those s looked at, as
// sysfs shows them now: the same names, identities, sizes, media and
// partitions. A look taken beside other work (the installer's, while
// it searches for answers and waits for USB sticks to appear) is used
// only if so.
func (s Survey) Unchanged(env Env) bool {
	now, err := disk.Scan(env.SysRoot)
	return err == nil && reflect.DeepEqual(now, s.Disks)
}

// diskLook is what Look found on one disk.
type diskLook struct {
	inUse      []blockdev.Use
	signatures []string
	read       bool // the disk has a medium and could be read
}

func lookAt(roots blockdev.Roots, d disk.Disk) diskLook {
	var l diskLook
	// A disk whose use cannot be told is not refused here: writing it
	// checks again, and refuses it then.
	l.inUse, _ = blockdev.InUse(roots, d.Name)
	if !d.HasMedium() {
		return l
	}
	f, err := blockdev.Open(roots.Node(d.Name), blockdev.Options{})
	if err != nil {
		return l // unreadable: no signatures to tell
	}
	defer f.Close()
	l.signatures, l.read = installplan.DetectSignatures(f, f.Size()), true
	return l
}

// Candidates decides, for each disk of s, whether it may be installed
// onto with env's requirements and exclusions.
func (s Survey) Candidates(env Env) []installplan.Candidate {
	cands := installplan.Candidates(s.Disks, s.Facts, env.Req)
	for i := range cands {
		if why, ok := env.Exclude[cands[i].Disk.Name]; ok {
			cands[i].Eligible = false
			cands[i].Reasons = append(cands[i].Reasons, why)
			cands[i].Codes = append(cands[i].Codes, errcode.DiskIneligible)
		}
	}
	return cands
}

// bootDisk is the boot medium: the disk holding the partition
// systemd-stub booted from, or "" when that is not known.
func bootDisk(env Env) string {
	if env.Vars == nil {
		return ""
	}
	uuid, err := esp.LoaderPartUUID(env.Vars)
	if err != nil || uuid.IsZero() {
		return ""
	}
	parts, err := partfind.Scan(env.SysRoot, env.DevRoot)
	if err != nil {
		return ""
	}
	boot := ""
	for _, p := range partfind.ByPartUUID(parts, uuid) {
		boot = p.Disk
	}
	return boot
}

// selectTarget is the disk the answers select, from the disks there now.
func selectTarget(env Env, a *answers.Answers) (installplan.Candidate, error) {
	cands, facts, err := Discover(env)
	if err != nil {
		return installplan.Candidate{}, err
	}
	for _, c := range cands {
		state := "eligible"
		if !c.Eligible {
			state = "not eligible: " + strings.Join(c.Reasons, "; ")
		}
		env.log("disk %s: %s", c.Describe(), state)
	}
	if err := installplan.CheckMachine(facts, env.Req); err != nil {
		return installplan.Candidate{}, err
	}
	return installplan.Select(cands, a.Disk)
}

// rediscover finds target among the disks there now: the disk must
// still be there and be the same disk (serial, WWN, model, size).
func rediscover(env Env, target installplan.Candidate) (installplan.Candidate, error) {
	cands, _, err := Discover(env)
	if err != nil {
		return installplan.Candidate{}, err
	}
	for _, c := range cands {
		d, t := c.Disk, target.Disk
		if d.Name == t.Name && d.Serial == t.Serial && d.WWN == t.WWN && d.Size == t.Size && d.Model == t.Model {
			return c, nil
		}
	}
	return installplan.Candidate{}, fail(errcode.DiskChanged, "install: the disk %s is no longer there or has changed: nothing written", target.Describe())
}
