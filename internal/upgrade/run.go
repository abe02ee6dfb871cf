package upgrade

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/partfind"
	"github.com/plinth-os/plinth/internal/step"
	"golang.org/x/sys/unix"
)

// mountFlags: nothing on the ESP is executed or a device; read-write,
// for the slots.
const mountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// Result is what an upgrade did, for the installer's event and screen.
type Result struct {
	Plan        *Plan       `json:"plan"`
	FromVersion string      `json:"fromVersion"`
	ToVersion   string      `json:"toVersion"`
	Slot        abslot.Slot `json:"slot"`
	// BootEntry is the Boot#### BootNext names, labelled BootEntryLabel
	// ("<Product> <Slot>"): the next boot, and only that one, starts the
	// new version.
	BootEntry      uint16 `json:"bootEntry"`
	BootEntryLabel string `json:"bootEntryLabel"`
	// Repaired lists what Repair changed on the ESP and in the boot
	// variables before staging (missing entries, BootOrder, the fallback
	// copy), for the log.
	Repaired []string      `json:"repaired,omitempty"`
	Duration time.Duration `json:"-"`
}

// upgrader is one plan being carried out.
type upgrader struct {
	env   install.Env
	req   Request
	plan  *Plan
	start time.Time
}

// Run upgrades the installation req selects (MakePlan) and arms one
// trial boot of the new version; the caller then reboots (Plan.After).
// Progress goes to env.Events and env.Progress with the install's step
// names: discover, plan, format-esp (the ESP is written: the new slot,
// with its bytes), boot-entry (the trial is armed), verify, done.
func Run(ctx context.Context, env install.Env, req Request) (*Result, error) {
	u := &upgrader{env: env, req: req, start: time.Now()}
	u.progress(step.Discover, 0, 0)
	p, err := MakePlan(env, req)
	if err != nil {
		return nil, err
	}
	u.plan = p
	u.progress(step.Plan, 0, 0)
	logf(env, "upgrade: %s %s to %s on %s: slot %s, then one trial boot of %q", p.Product, p.FromVersion, p.ToVersion,
		p.Installation.Disk.Describe(), p.Slot, p.Label)
	if err := ctx.Err(); err != nil {
		return nil, fail(errcode.Internal, "upgrade: %w: nothing written", err)
	}
	return u.run()
}

// run mounts the ESP, writes, unmounts and reads back.
func (u *upgrader) run() (*Result, error) {
	root, unmount, err := u.mount()
	if err != nil {
		return nil, err
	}
	res, err := u.write(root)
	if uerr := unmount(); uerr != nil {
		if err != nil {
			logf(u.env, "upgrade: %v", uerr)
		} else {
			err = uerr
		}
	}
	if err != nil {
		return nil, err
	}
	if err := u.verify(res); err != nil {
		return nil, err
	}
	u.progress(step.Done, 0, 0)
	res.Duration = time.Since(u.start)
	return res, nil
}

// mount mounts the installation's ESP read-write, and returns where and
// how to unmount it.
func (u *upgrader) mount() (string, func() error, error) {
	in := u.plan.Installation
	part, err := partfind.OnDisk(u.env.SysRoot, u.env.DevRoot, in.Disk.Disk.Name, in.ESPPartUUID)
	if err != nil {
		return "", nil, fail(errcode.UpgradeWrite, "upgrade: the ESP of %s: %w: nothing written", in.Disk.Describe(), err)
	}
	var m esp.Mounter = esp.SysMounter{}
	if u.req.Mounter != nil {
		m = u.req.Mounter
	}
	root, temp := u.req.MountPoint, false
	if root == "" {
		if root, err = os.MkdirTemp("", "plinth-upgrade-esp-"); err != nil {
			return "", nil, fail(errcode.Internal, "upgrade: %w", err)
		}
		temp = true
	}
	if err := m.Mount(part.Device, root, "vfat", mountFlags, ""); err != nil {
		if temp {
			os.Remove(root)
		}
		return "", nil, fail(errcode.UpgradeWrite, "upgrade: mount the ESP %s of %s: %w: nothing written", part.Device, in.Disk.Describe(), err)
	}
	unmount := func() error {
		err := m.Unmount(root, 0)
		if temp && err == nil {
			os.Remove(root)
		}
		if err != nil {
			return failWritten(errcode.UpgradeWrite, "upgrade: unmount the ESP %s: %w", part.Device, err)
		}
		return nil
	}
	return root, unmount, nil
}

// write does the plan's writes on the ESP mounted at root: shim, the
// slots (converted if need be), repaired entries, the new slot, the
// trial.
func (u *upgrader) write(root string) (*Result, error) {
	p := u.plan
	u.progress(step.FormatESP, 0, 0)
	if p.AddShim {
		if err := u.addShim(root); err != nil {
			return nil, err
		}
	}
	s, err := u.open(root)
	if err != nil {
		return nil, err
	}
	repaired, err := s.Repair(u.env.Vars)
	for _, c := range repaired {
		logf(u.env, "upgrade: boot entries: %s", c)
	}
	if err != nil {
		return nil, failWritten(errcode.UpgradeWrite, "upgrade: repair the installation before writing slot %s: %w", p.Slot, err)
	}
	if err := u.stage(s); err != nil {
		return nil, err
	}
	u.progress(step.BootEntry, 0, 0)
	if err := s.Trial(u.env.Vars, p.Slot); err != nil {
		return nil, failWritten(errcode.UpgradeWrite, "upgrade: %s is in slot %s, but its trial boot could not be armed: %w", p.ToVersion, p.Slot, err)
	}
	num, label, err := bootNext(u.env.Vars)
	if err != nil {
		return nil, failWritten(errcode.UpgradeWrite, "upgrade: %w", err)
	}
	return &Result{Plan: p, FromVersion: p.FromVersion, ToVersion: p.ToVersion, Slot: p.Slot,
		BootEntry: num, BootEntryLabel: label, Repaired: repaired}, nil
}

// open opens the slots on the ESP at root, converting a legacy layout.
func (u *upgrader) open(root string) (*abslot.Slots, error) {
	p, in := u.plan, u.plan.Installation
	s, err := abslot.Open(abslot.ESP{
		Root:    root,
		HD:      efivar.GPTHardDrive(uint32(in.ESP.Number), in.ESP.FirstLBA, in.ESP.Sectors(), in.ESP.GUID),
		Chain:   bootchain.Chain{Shim: in.Shim || p.AddShim},
		Product: p.Product,
		Outside: true, // the installer runs; neither slot does
	})
	if err != nil {
		return nil, failWritten(errcode.UpgradeWrite, "upgrade: %w", err)
	}
	if s.Legacy() != p.Convert {
		return nil, failWritten(errcode.Internal, "upgrade: the ESP's layout changed since it was read (legacy %v)", s.Legacy())
	}
	if p.Convert {
		logf(u.env, "upgrade: converting the ESP to A/B slots: %s becomes slot A", abslot.LegacyPath(p.Product))
		if err := s.Convert(p.FromVersion); err != nil {
			return nil, failWritten(errcode.UpgradeWrite, "upgrade: %w", err)
		}
	}
	return s, nil
}

// stage writes the new UKI into the plan's slot.
func (u *upgrader) stage(s *abslot.Slots) error {
	p := u.plan
	uki := u.req.UKI
	total := int64(len(uki))
	r := &countingReader{r: bytes.NewReader(uki), report: func(n int64) { u.progress(step.FormatESP, n, total) }}
	slot, err := s.Stage(u.env.Vars, r, total, sha256.Sum256(uki), p.ToVersion)
	if err != nil {
		return failWritten(errcode.UpgradeWrite, "upgrade: write %s into slot %s: %w", p.ToVersion, p.Slot, err)
	}
	if slot != p.Slot {
		return failWritten(errcode.Internal, "upgrade: %s went into slot %s, the plan said %s", p.ToVersion, slot, p.Slot)
	}
	u.progress(step.FormatESP, total, total)
	return nil
}

// bootNext is the entry BootNext names, and its label.
func bootNext(vars efivar.Store) (uint16, string, error) {
	num, err := efivar.ReadBootNext(vars)
	if err != nil {
		return 0, "", fmt.Errorf("read BootNext back: %w", err)
	}
	o, err := efivar.ReadBootEntry(vars, num)
	if err != nil {
		return 0, "", fmt.Errorf("BootNext %s: %w", efivar.BootOptionName(num), err)
	}
	return num, o.Description, nil
}
