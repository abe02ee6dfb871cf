package upgrade

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
)

// Request is one upgrade.
type Request struct {
	// Answers are install.yaml's, which must say mode: upgrade; their
	// disk: selects the disk (none: the one disk holding the product) and
	// after: what follows. nil: the defaults.
	Answers *answers.Answers
	// Manifest, UKI, Shim and MokManager are the installer's payload, as
	// for an install (install.Request).
	Manifest         install.Manifest
	UKI              []byte
	Shim, MokManager []byte
	// Target is the installation the operator chose from Find's list;
	// nil lets Answers choose. The disks are looked at again: the disk
	// must still be there and be the same disk.
	Target *Installation
	// Mounter mounts the installation's ESP; nil: esp.SysMounter.
	Mounter esp.Mounter
	// MountPoint is where; "": a new temporary directory, removed after.
	MountPoint string
}

// Plan is what an upgrade does, as the installer shows it before it
// starts and reports it after.
type Plan struct {
	Product     string               `json:"product"`
	FromVersion string               `json:"fromVersion"` // installed (committed)
	ToVersion   string               `json:"toVersion"`   // the installer's
	Disk        installplan.PlanDisk `json:"disk"`
	// Slot is where the new version goes, the one not committed; Label
	// the boot entry BootNext will name, "<Product> <Slot>".
	Slot  abslot.Slot `json:"slot"`
	Label string      `json:"bootEntry"`
	// Convert: the ESP has the layout from before slots, which is
	// converted first (its UKI becomes slot A, committed).
	Convert bool `json:"convert"`
	// AddShim: shim and MokManager are copied to the ESP, which boots
	// through shim from then on (the installer carries the shim chain and
	// the ESP has none; not while converting a legacy layout).
	AddShim bool `json:"addShim"`
	// Kept, never written: the data partition and the machine's identity.
	ESPPartUUID  guid.GUID `json:"espPartUUID"`
	DataPartUUID guid.GUID `json:"dataPartUUID,omitzero"`
	Hostname     string    `json:"hostname"`
	MachineID    string    `json:"machineID"`
	After        string    `json:"after"` // reboot or poweroff
	// Installation is the installation as read when the plan was made.
	Installation Installation `json:"-"`
}

// MakePlan plans the upgrade req asks for, and writes nothing: it checks
// the payload against its manifest, finds the installation to upgrade
// and refuses one that cannot be (see the package documentation).
// Refusals are *install.Error values, or *installplan.Error for a disk
// selector that matches no disk or several and for a machine below the
// product's minimums; install.Code gives the code of either.
func MakePlan(env install.Env, req Request) (*Plan, error) {
	if err := checkPayload(req); err != nil {
		return nil, err
	}
	a, err := upgradeAnswers(req)
	if err != nil {
		return nil, err
	}
	in, err := target(env, req, a)
	if err != nil {
		return nil, err
	}
	if err := check(in, req.Manifest, env); err != nil {
		return nil, err
	}
	return plan(in, req, a), nil
}

// upgradeAnswers are req's answers, which must ask for an upgrade unless
// the operator chose the disk.
func upgradeAnswers(req Request) (*answers.Answers, error) {
	if req.Answers == nil {
		d := answers.Default()
		d.Mode = answers.ModeUpgrade
		return &d, nil
	}
	if !req.Answers.Upgrade() && req.Target == nil {
		return nil, fail(errcode.Internal, "upgrade: the answers do not say mode: upgrade")
	}
	return req.Answers, nil
}

// checkPayload checks the runtime UKI and, when the manifest names
// them, shim and MokManager: a damaged medium is found before any disk
// is looked at.
func checkPayload(req Request) error {
	if err := install.CheckPayload(req.Manifest, req.UKI); err != nil {
		return err
	}
	m := req.Manifest
	for _, b := range []struct {
		what string
		want *install.Binary
		data []byte
	}{{"shim", m.Shim, req.Shim}, {"MokManager", m.MokManager, req.MokManager}} {
		if b.want == nil {
			continue
		}
		sum := sha256.Sum256(b.data)
		if hex.EncodeToString(sum[:]) != b.want.SHA256 || int64(len(b.data)) != b.want.Size {
			return fail(errcode.PayloadCorrupt, "upgrade: the %s on the installer medium does not match its manifest (sha256 %x): the medium is damaged, write it again", b.what, sum)
		}
	}
	return nil
}

// check refuses an installation this upgrade must not touch.
func check(in Installation, m install.Manifest, env install.Env) error {
	d := in.Disk.Describe()
	switch {
	case in.Problem != "":
		return fail(errcode.UpgradeNoInstallation, "upgrade: disk %s holds a damaged installation that cannot be upgraded: %s", d, in.Problem)
	case in.Product != m.Product:
		return fail(errcode.UpgradeOtherProduct, "upgrade: disk %s holds %s %s, not %s: this installer does not upgrade it", d, in.Product, in.Version, m.Product)
	case !in.Disk.Eligible:
		return fail(errcode.DiskIneligible, "upgrade: disk %s cannot be written: %s", d, joinReasons(in.Disk.Reasons))
	case in.Trial != nil:
		return fail(errcode.UpgradeTrialPending, "upgrade: disk %s has %s %s staged in slot %s for a trial boot that has not ended: boot the installed system once so that it commits or rolls back, then upgrade",
			d, m.Product, in.Trial.Version, in.Trial.Slot)
	case env.Vars == nil:
		return fail(errcode.BootEntry, "upgrade: no UEFI variables: the machine was not booted in UEFI mode, so the trial boot cannot be armed")
	}
	c, err := bundle.CompareVersions(m.Version, in.Version)
	switch {
	case err != nil:
		return fail(errcode.UpgradeNotNewer, "upgrade: disk %s: the installed version %s cannot be compared with this installer's %s (%v): not upgraded", d, in.Version, m.Version, err)
	case c == 0:
		return fail(errcode.UpgradeNotNewer, "upgrade: disk %s already runs %s %s: nothing to upgrade", d, m.Product, in.Version)
	case c < 0:
		return fail(errcode.UpgradeNotNewer, "upgrade: disk %s runs %s %s, newer than this installer's %s: an upgrade never goes back", d, m.Product, in.Version, m.Version)
	}
	return nil
}

func plan(in Installation, req Request, a *answers.Answers) *Plan {
	slot := abslot.B // a legacy layout converts to slot A committed
	if in.Layout == LayoutSlots {
		slot = in.Committed.Other()
	}
	c := in.Disk
	return &Plan{
		Product: in.Product, FromVersion: in.Version, ToVersion: req.Manifest.Version,
		Disk: installplan.PlanDisk{Name: c.Disk.Name, Path: c.Disk.Path, Model: c.Disk.Model, Serial: c.Disk.Serial, WWN: c.Disk.WWN,
			ShortID: c.ShortID, ByID: c.ByID, Size: c.Disk.Size, SectorSize: in.SectorSize, GUID: in.DiskGUID},
		Slot: slot, Label: abslot.ESP{Product: in.Product}.Label(slot),
		Convert:     in.Layout == LayoutLegacy,
		AddShim:     addShim(in, req.Manifest),
		ESPPartUUID: in.ESPPartUUID, DataPartUUID: in.DataPartUUID, Hostname: in.Hostname, MachineID: in.MachineID,
		After:        cmp.Or(a.After, answers.AfterReboot),
		Installation: in,
	}
}

// addShim says whether the upgrade adds the installer's shim chain to
// the ESP: when the installer carries it and the ESP boots without it.
// Not while converting a legacy layout: its boot entry starts the legacy
// UKI directly and stays until the first commit, which removes it by
// what it starts through the ESP's chain; with shim added it would no
// longer be recognised and be left behind. The firmware trusts that UKI
// without shim anyway, and the next upgrade adds shim.
func addShim(in Installation, m install.Manifest) bool {
	return m.Shim != nil && m.MokManager != nil && !in.Shim && in.Layout != LayoutLegacy
}

// fail is a refusal, or a failure before anything was written.
func fail(code errcode.Code, format string, args ...any) error {
	return &install.Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// failWritten is a failure after the ESP or a boot variable was written.
func failWritten(code errcode.Code, format string, args ...any) error {
	return &install.Error{Code: code, Err: fmt.Errorf(format, args...), Wrote: true}
}
