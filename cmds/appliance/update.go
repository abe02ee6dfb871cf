package main

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/bootchain"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/netup"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/supervise"
	"github.com/plinth-os/plinth/internal/updatechannel"
	"github.com/plinth-os/plinth/internal/updater"
	"github.com/plinth-os/plinth/internal/updatestick"
	"github.com/plinth-os/plinth/internal/watchdog"
)

// channelAddressWait is how long the first channel check waits for a
// network address.
const channelAddressWait = time.Minute

// updates is the update side of a boot: nil fields when updates are
// off on this machine (no slots, no EFI variables).
type updates struct {
	u       *updater.Updater
	trial   *abslot.TrialRecord // this boot is a trial of it
	trusted []*x509.Certificate // the update certificates of this runtime
	// repaired is closed when the boot's Repair is done: it runs beside
	// the services, and the rest of the updater waits for it.
	repaired <-chan struct{}
}

// openUpdates opens the A/B slots on the mounted ESP, reports a rolled
// back trial, says whether this boot is a trial, and starts the repair of
// the boot entries and the fallback loader. Updates are off, with a
// warning, when that cannot be done: the appliance runs all the same.
func (a *appliance) openUpdates(b *booted) updates {
	if b.vars == nil {
		a.say("Updates: off (no EFI variables)")
		return updates{}
	}
	hd, err := b.esp.HardDrive(a.paths.Sys)
	if err != nil {
		a.say("Updates: off: %v", err)
		return updates{}
	}
	_, err = os.Stat(filepath.Join(a.paths.ESP, filepath.FromSlash(abslot.Dir), bootchain.ShimName))
	chain := bootchain.Chain{Shim: err == nil}
	slots, err := abslot.Open(abslot.ESP{Root: a.paths.ESP, HD: hd, Chain: chain, Product: b.spec.Product})
	if err != nil {
		a.say("Updates: off: %v", err)
		return updates{}
	}
	trusted, err := updatechannel.ParseCertificates([]byte(b.spec.Updates.Certificates))
	if err != nil {
		a.say("Updates: off: the runtime's update certificates: %v", err)
		return updates{}
	}
	u := updater.New(updater.Options{
		Product: b.spec.Product, Version: b.spec.Version, Trusted: trusted,
		Slots: slots, Vars: b.vars, Events: a.events, Log: a.say, Reboot: a.requestReboot,
	})
	trial, err := u.Boot()
	if err != nil {
		a.say("Warning: updates: %v", err)
	}
	repaired := make(chan struct{})
	a.unfinished.Add(1)
	go func() {
		defer a.unfinished.Done()
		defer close(repaired)
		u.Repair()
	}()
	return updates{u: u, trial: trial, trusted: trusted, repaired: repaired}
}

// runUpdates starts what updates do while the services run: the local
// control socket and the watchdog at once, the trial's health gate, then
// (once committed, or at once) PLINTHUPD sticks and the channel.
// bootDisk is the disk booted from, which is never taken for a stick.
func (a *appliance) runUpdates(ctx context.Context, up updates, sup *supervise.Supervisor, spec *productspec.Spec, bootTime time.Time, net *netup.Manager, bootDisk string) {
	go a.feedWatchdog(ctx, sup, up, spec, bootTime)
	if up.u == nil {
		return
	}
	<-up.repaired
	cfg := spec.Updates
	client, err := updatechannel.NewClient([]byte(cfg.CA))
	if err != nil {
		a.say("Updates: %v", err)
		return
	}
	var channel *updater.Channel
	if cfg.Channel != "" {
		channel = &updater.Channel{URL: cfg.Channel, Client: client, Dir: a.paths.Downloads,
			Interval: time.Duration(orDefault(cfg.CheckInterval, productspec.DefaultCheckInterval))}
	}
	go a.serveControl(ctx, &control{u: up.u, channel: channel, client: client})
	if up.trial != nil {
		t := updater.Trial{Record: up.trial, Watch: sup.Watch(), Started: bootTime,
			CommitAfter: time.Duration(orDefault(cfg.CommitAfter, productspec.DefaultCommitAfter)),
			Timeout:     time.Duration(orDefault(cfg.TrialTimeout, productspec.DefaultTrialTimeout))}
		if !up.u.Confirm(ctx, t) {
			return
		}
	}
	go a.watchSticks(ctx, up, spec, bootDisk)
	if channel == nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, channelAddressWait)
	net.WaitAddress(wctx) // the first check needs the network; later ones retry anyway
	cancel()
	up.u.Poll(ctx, *channel)
}

func orDefault(d, def productspec.Duration) productspec.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// requestReboot asks the power loop for a clean reboot and waits for it.
func (a *appliance) requestReboot(reason string) {
	a.reboots <- reason
	select {} // the reboot ends this process
}

// Watchdog timing: the device resets the machine watchdogTimeout after
// the last keepalive; the appliance feeds it every watchdogInterval.
const (
	watchdogTimeout  = 30 * time.Second
	watchdogInterval = 5 * time.Second
	// trialGrace is how long past its timeout a trial may take to reboot
	// before the watchdog stops being fed: the gate itself is stuck.
	trialGrace = time.Minute
)

// feedWatchdog keeps a hardware watchdog (i6300esb, iTCO_wdt), if the
// machine has one, fed while the appliance is sound: its supervisor
// answers, and a trial has not overrun its timeout. A hang of the
// appliance, or of the kernel, then resets the machine; during a trial
// the firmware then boots the committed version.
func (a *appliance) feedWatchdog(ctx context.Context, sup *supervise.Supervisor, up updates, spec *productspec.Spec, bootTime time.Time) {
	dev := filepath.Join(a.paths.Dev, "watchdog0")
	if _, err := os.Stat(dev); errors.Is(err, os.ErrNotExist) {
		return
	}
	w, err := watchdog.Open(dev)
	if err != nil {
		a.say("Watchdog: %v", err)
		return
	}
	if _, err := w.SetTimeout(watchdogTimeout); err != nil {
		a.say("Watchdog: %v", err)
	}
	var deadline time.Time
	if up.trial != nil {
		deadline = bootTime.Add(time.Duration(orDefault(spec.Updates.TrialTimeout, productspec.DefaultTrialTimeout)) + trialGrace)
	}
	id, _ := w.Identity()
	a.say("Watchdog: %s, reset after %s without a keepalive", id.Identity, watchdogTimeout)
	f := watchdog.Feeder{Dog: w, Interval: watchdogInterval,
		Healthy: func() bool {
			sup.Overall() // blocks if the supervisor is stuck
			return deadline.IsZero() || time.Now().Before(deadline) || !a.inTrial(up)
		},
		OnStop: func(s watchdog.Stop) {
			a.say("Watchdog: stopped feeding (%s); the machine resets in %s", s.Reason, watchdogTimeout)
		},
	}
	f.Run(ctx)
}

// inTrial reports whether the trial this boot began with is still
// undecided.
func (a *appliance) inTrial(up updates) bool {
	if up.u == nil || up.trial == nil {
		return false
	}
	return up.u.TrialOpen()
}

// watchSticks applies an update from each PLINTHUPD stick that is
// present or plugged in: the newest bundle on it that this appliance
// takes; the others are reported as refused.
func (a *appliance) watchSticks(ctx context.Context, up updates, spec *productspec.Spec, bootDisk string) {
	o := updatestick.Options{SysRoot: a.paths.Sys, DevRoot: a.paths.Dev, BootDisk: bootDisk, Mounter: mounter{&a.sys}}
	found := func(v updatestick.Volume) {
		a.say("Updates: %s stick %s", updatestick.Label, v.Describe)
		m, err := updatestick.Mount(o, v, a.paths.Stick)
		if err != nil {
			a.say("Updates: %v", err)
			return
		}
		defer m.Unmount()
		a.applyFromStick(up.u, spec, m, up.trusted)
	}
	problem := func(err error) { a.say("Updates: %v", err) }
	if err := updatestick.Watch(ctx, o, updatestick.DefaultInterval, found, problem); err != nil && ctx.Err() == nil {
		a.say("Updates: sticks: %v", err)
	}
}

// applyFromStick picks and applies the stick's bundle.
func (a *appliance) applyFromStick(u *updater.Updater, spec *productspec.Spec, m *updatestick.Mounted, trusted []*x509.Certificate) {
	cands, rejected, err := updatestick.Bundles(m.Dir, trusted)
	if err != nil {
		a.say("Updates: %v", err)
		return
	}
	best, ok, more := updatestick.Pick(cands, spec.Product, spec.Version, u.FailedBefore)
	check := event.UpdateCheck{Source: m.Dir, Running: spec.Version}
	if ok {
		check.Available, check.URL, check.Size = best.Manifest.Version, best.Path, best.Size
	}
	a.events.Emit(check)
	for _, r := range append(rejected, more...) {
		a.events.Emit(event.UpdateRefused{Version: r.Version, Source: r.Path, Code: string(r.Code), Reason: r.Reason})
		a.say("Updates: %s refused: %s", r.Path, r.Reason)
	}
	if !ok {
		return
	}
	f, err := os.Open(best.Path)
	if err != nil {
		a.say("Updates: %v", err)
		return
	}
	defer f.Close()
	u.Apply(f, best.Path) // reboots; a refusal is reported as an event
}
