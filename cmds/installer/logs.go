package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/logbundle"
)

// exportLogs writes the log bundle to a FAT USB stick that is neither
// the boot medium nor an install target, and returns where.
func (a *app) exportLogs() (string, error) {
	cands, facts, _ := install.Discover(a.env)
	exclude := []string{}
	if facts.BootDisk != "" {
		exclude = append(exclude, filepath.Base(facts.BootDisk))
	}
	targets, err := logbundle.Targets(a.roots.Sys, a.roots.Dev, exclude)
	if err != nil {
		return "", err
	}
	if len(targets) == 0 {
		return "", logbundle.ErrNoTarget
	}
	t := targets[0]
	now := time.Now().UTC()
	bundle, err := a.logBundle(cands, now)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("plinth-logs-%s.tar.gz", now.Format("20060102-150405"))
	where, err := logbundle.Export(t, name, bundle, logbundle.KernelMounter{})
	if err != nil {
		return "", err
	}
	return where + " on " + t.Describe, nil
}

// logBundle is the log bundle (logbundle.Build): the installer's log and
// events, the kernel log, the disks as seen, the plan, parts of /proc,
// the boot entries and the release.
func (a *app) logBundle(cands []installplan.Candidate, now time.Time) ([]byte, error) {
	var files []logbundle.File
	add := func(name string, data []byte) {
		if len(data) > 0 {
			files = append(files, logbundle.File{Name: name, Data: data})
		}
	}
	add("installer.log", a.journal.Bytes())
	if k, err := logbundle.KernelLog(a.roots.Dev); err == nil {
		add("kernel.log", k)
	}
	if b, err := json.MarshalIndent(cands, "", "  "); err == nil {
		add("disks.json", b)
	}
	add("plan.json", a.lastPlan)
	for _, name := range []string{"self/mountinfo", "cpuinfo", "meminfo", "cmdline"} {
		b, _ := os.ReadFile(filepath.Join(a.roots.Proc, name))
		add("proc-"+filepath.Base(name)+".txt", b)
	}
	add("boot-entries.txt", bootEntries(a.env.Vars))
	if b, err := json.MarshalIndent(a.rel, "", "  "); err == nil {
		add("release.json", b)
	}
	var bundle bytes.Buffer
	if err := logbundle.Build(&bundle, files, now); err != nil {
		return nil, err
	}
	return bundle.Bytes(), nil
}

// bootEntries lists the UEFI boot entries for the bundle.
func bootEntries(vars efivar.Store) []byte {
	if vars == nil {
		return []byte("no UEFI variables\n")
	}
	entries, err := efivar.ListBootEntries(vars)
	if err != nil {
		return []byte(err.Error() + "\n")
	}
	var b bytes.Buffer
	for _, e := range entries {
		if e.Option != nil {
			fmt.Fprintf(&b, "%s %q %s\n", efivar.BootOptionName(e.Num), e.Option.Description, e.Option.Path())
		} else {
			fmt.Fprintf(&b, "%s (unreadable)\n", efivar.BootOptionName(e.Num))
		}
	}
	return b.Bytes()
}
