package upgrade

import (
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
)

// target is the installation to upgrade, as the disks are now:
// req.Target found again, or the one a's disk: selects.
func target(env install.Env, req Request, a *answers.Answers) (Installation, error) {
	s, err := install.Look(env)
	if err != nil {
		return Installation{}, err
	}
	// The new version has the same minimums for memory and CPUs as an
	// install of it: a machine that cannot run it is told so now rather
	// than by a failed trial.
	if err := installplan.CheckMachine(s.Facts, env.Req); err != nil {
		return Installation{}, err
	}
	cands := candidates(env, s)
	found := find(env, cands, s.Facts.BootDisk)
	for _, in := range found {
		logf(env, "installation on %s", in.Describe())
	}
	if req.Target != nil {
		return again(found, *req.Target)
	}
	return choose(found, cands, req.Manifest.Product, a.Disk)
}

// again finds t among the installations there now: the same disk
// (serial, WWN, model, size) with the same ESP.
func again(found []Installation, t Installation) (Installation, error) {
	w := t.Disk.Disk
	for _, in := range found {
		d := in.Disk.Disk
		if d.Name == w.Name && d.Serial == w.Serial && d.WWN == w.WWN && d.Size == w.Size && d.Model == w.Model && in.ESPPartUUID == t.ESPPartUUID {
			return in, nil
		}
	}
	return Installation{}, fail(errcode.DiskChanged, "upgrade: the disk %s is no longer there, has changed or no longer holds the installation: nothing written", t.Disk.Describe())
}

// choose picks the installation sel selects: without a selector the one
// installation of product; largest and smallest among the disks holding
// product; a serial, WWN or by-id name the disk it names, which must
// hold an installation.
func choose(found []Installation, cands []installplan.Candidate, product string, sel answers.Selector) (Installation, error) {
	ours := ofProduct(found, product)
	switch sel.Kind {
	case "":
		return only(found, ours, product)
	case answers.SelectLargest, answers.SelectSmallest:
		if len(ours) == 0 {
			return Installation{}, noInstallation(found, product)
		}
		cs := make([]installplan.Candidate, len(ours))
		for i, in := range ours {
			cs[i] = in.Disk
		}
		c, err := installplan.Select(cs, sel)
		if err != nil {
			return Installation{}, err
		}
		return onDisk(ours, c), nil
	}
	c, err := installplan.Select(cands, sel)
	if err != nil {
		return Installation{}, err
	}
	if in := onDisk(found, c); in.Disk.Disk.Name != "" {
		return in, nil
	}
	return Installation{}, fail(errcode.UpgradeNoInstallation, "upgrade: disk %s (disk: %s) holds no Plinth installation to upgrade: nothing written", c.Describe(), sel)
}

// only is the one installation of product.
func only(found, ours []Installation, product string) (Installation, error) {
	switch len(ours) {
	case 1:
		return ours[0], nil
	case 0:
		return Installation{}, noInstallation(found, product)
	}
	return Installation{}, fail(errcode.DiskAmbiguous, "upgrade: %d disks hold an installation of %s; name the one to upgrade with disk: (%s)", len(ours), product, describe(ours))
}

func noInstallation(found []Installation, product string) error {
	if len(found) == 0 {
		return fail(errcode.UpgradeNoInstallation, "upgrade: no disk holds a Plinth installation, so there is no %s to upgrade: nothing written", product)
	}
	return fail(errcode.UpgradeNoInstallation, "upgrade: no disk holds an installation of %s to upgrade (found: %s): nothing written", product, describe(found))
}

// ofProduct are the readable installations of product.
func ofProduct(found []Installation, product string) []Installation {
	var out []Installation
	for _, in := range found {
		if in.Problem == "" && in.Product == product {
			out = append(out, in)
		}
	}
	return out
}

// onDisk is the installation on c's disk; zero when there is none.
func onDisk(found []Installation, c installplan.Candidate) Installation {
	for _, in := range found {
		if in.Disk.Disk.Name == c.Disk.Name {
			return in
		}
	}
	return Installation{}
}

func describe(ins []Installation) string {
	s := make([]string, len(ins))
	for i, in := range ins {
		s[i] = in.Describe()
	}
	return strings.Join(s, "; ")
}

func joinReasons(r []string) string {
	if len(r) == 0 {
		return "not eligible"
	}
	return strings.Join(r, "; ")
}

func logf(env install.Env, format string, args ...any) {
	if env.Log != nil {
		env.Log(format, args...)
	}
}
