package main

import (
	"context"
	"fmt"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/upgrade"
	"github.com/plinth-os/plinth/internal/wizard"
)

// upgradeDone is the outcome of an upgrade running in the background.
type upgradeDone struct {
	res *upgrade.Result
	err error
}

// installations are this product's installations on the disks, for the
// wizard to offer upgrading them; a.found keeps them for StartUpgrade.
// Other products' installations and damaged ones are left out: this
// installer can only erase those, which the disk list offers anyway.
// They are looked for on the disks of s, the look the disk list comes
// from.
func (a *app) installations(s install.Survey) []wizard.Installation {
	found := upgrade.FindIn(a.env, s)
	a.found = nil
	var out []wizard.Installation
	for _, in := range found {
		if in.Product != a.manifest.Product || in.Problem != "" {
			a.journal.Logf("installation on %s: not this installer's to upgrade", in.Describe())
			continue
		}
		refused := a.upgradeRefusal(in)
		a.journal.Logf("installation on %s: %s", in.Describe(), orText(refused, "can be upgraded"))
		a.found = append(a.found, in)
		out = append(out, wizard.Installation{Disk: in.Disk, Version: in.Version, Hostname: in.Hostname,
			Legacy: in.Layout == upgrade.LayoutLegacy, Refused: refused})
	}
	return out
}

// upgradeRefusal is why in cannot be upgraded, in the upgrade's own
// words, or "": the plan the upgrade would make, which writes nothing,
// refuses a version that is not older than this installer's, a trial
// boot still pending, a disk that cannot be written, a damaged medium.
func (a *app) upgradeRefusal(in upgrade.Installation) string {
	env := a.env
	env.Log = nil // the plan lists every installation again; installations says what matters
	if _, err := upgrade.MakePlan(env, a.upgradeRequest(in)); err != nil {
		return err.Error()
	}
	return ""
}

// upgradeRequest upgrades in with this installer's payload.
func (a *app) upgradeRequest(in upgrade.Installation) upgrade.Request {
	p := a.payload
	return upgrade.Request{Target: &in, Manifest: a.manifest, UKI: p.UKI, Shim: p.Shim, MokManager: p.MokManager, Mounter: a.mounter}
}

// startUpgrade starts the upgrade the wizard confirmed, of the
// installation it was told of on that disk; upgrade.Run looks at the
// disks again before it writes.
func (a *app) startUpgrade(act wizard.StartUpgrade, wk work) {
	in, ok := a.foundOn(act.Target)
	if !ok {
		wk.upgraded <- upgradeDone{err: &install.Error{Code: errcode.DiskChanged,
			Err: fmt.Errorf("upgrade: the disk %s no longer holds the installation: nothing written", act.Target.Disk.Describe())}}
		return
	}
	a.journal.Logf("upgrade confirmed of %s", in.Describe())
	env := a.env
	env.Progress = progressTo(wk.progress)
	req := a.upgradeRequest(in)
	go func() {
		res, err := upgrade.Run(context.Background(), env, req)
		wk.upgraded <- upgradeDone{res, err}
	}()
}

// foundOn is the installation found on t's disk, matched by the disk's
// identity.
func (a *app) foundOn(t wizard.Installation) (upgrade.Installation, bool) {
	w := t.Disk.Disk
	for _, in := range a.found {
		d := in.Disk.Disk
		if d.Name == w.Name && d.Serial == w.Serial && d.WWN == w.WWN && d.Size == w.Size && d.Model == w.Model {
			return in, true
		}
	}
	return upgrade.Installation{}, false
}

// upgradeFinished reports a finished upgrade and shows its outcome.
func (a *app) upgradeFinished(wz *wizard.Wizard, d upgradeDone) {
	if d.err != nil {
		a.reportError(d.err)
		wz.Finished(wizard.Result{}, &wizard.Failure{Code: errorCode(d.err), Message: d.err.Error(), Wrote: install.Wrote(d.err)})
		a.sendLogBundle()
		return
	}
	res := d.res
	a.events.Emit(event.Upgraded{Disk: res.Plan.Disk.Name, From: res.FromVersion, Version: res.ToVersion, Slot: string(res.Slot),
		BootEntry: efivar.BootOptionName(res.BootEntry), Seconds: res.Duration.Seconds()}) // After "": the finish screen
	a.journal.Logf("Upgraded %s from %s to %s on %s in %s; it boots the new version once, and keeps it when its services are healthy.",
		a.manifest.Product, res.FromVersion, res.ToVersion, res.Plan.Installation.Disk.Describe(), res.Duration.Round(time.Second))
	wz.Finished(wizard.Result{Disk: res.Plan.Installation.Disk.Describe(), BootEntry: efivar.BootOptionName(res.BootEntry),
		Duration: res.Duration, Slot: string(res.Slot)}, nil)
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
