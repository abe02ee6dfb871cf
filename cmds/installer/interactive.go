package main

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/boottime"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/kmsg"
	"github.com/plinth-os/plinth/internal/provision"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/secureboot"
	"github.com/plinth-os/plinth/internal/sysinfo"
	"github.com/plinth-os/plinth/internal/tui"
	"github.com/plinth-os/plinth/internal/wizard"
	"golang.org/x/sys/unix"
)

// installDone is the outcome of an install running in the background.
type installDone struct {
	res *install.Result
	err error
}

// exportDone is the outcome of Export logs.
type exportDone struct {
	where string
	err   error
}

// work is where the installer's background work reports to the
// interactive loop: the install or upgrade running, Export logs.
type work struct {
	progress chan install.Progress
	done     chan installDone
	upgraded chan upgradeDone
	exported chan exportDone
}

func newWork() work {
	return work{progress: make(chan install.Progress, 64), done: make(chan installDone, 1),
		upgraded: make(chan upgradeDone, 1), exported: make(chan exportDone, 1)}
}

// interactive runs the wizard on the consoles until the machine powers
// off or reboots.
func (a *app) interactive(keys <-chan byte) {
	wz := a.startWizard()
	scr := tui.New(a.out)
	wk := newWork()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	keyChans := []<-chan wizard.Key{tui.Keys(keys)}
	if a.gfx != nil {
		keyChans = append(keyChans, a.gfx.keys)
	}
	typed := mergeKeys(keyChans...)
	// Kernel errors would print on the text console, which the screens
	// keep hidden: show them on the screen instead.
	kerrs, err := kmsg.Follow(context.Background(), "/dev/kmsg", kmsg.Err)
	if err != nil {
		a.journal.Logf("kernel errors will not be shown: %v", err)
	}
	var lastEvent event.Screen
	for {
		lastEvent = a.show(wz, scr, lastEvent)
		var act wizard.Action
		select {
		case k := <-typed:
			act = wz.Key(k)
		case p := <-wk.progress:
			wz.SetProgress(wizard.Progress{Step: p.Step, Percent: p.Percent, Bytes: p.Bytes, Total: p.Total})
		case d := <-wk.done:
			a.finished(wz, d)
		case d := <-wk.upgraded:
			a.upgradeFinished(wz, d)
		case e := <-wk.exported:
			a.logsExported(wz, e)
		case r, ok := <-kerrs:
			if !ok {
				kerrs = nil // stopped reading; a nil channel never fires
				break
			}
			a.journal.Logf("kernel: %s", r)
			wz.Alert(r.Text)
		case <-tick.C:
			act = wz.Tick()
		}
		switch act.(type) {
		case wizard.PowerOff:
			scr.Invalidate()
			fmt.Fprint(a.out, "\x1b[r\x1b[2J\x1b[HPowering off.\r\n")
			a.shutdown(unix.LINUX_REBOOT_CMD_POWER_OFF)
		case wizard.Reboot:
			fmt.Fprint(a.out, "\x1b[r\x1b[2J\x1b[HRebooting.\r\n")
			a.shutdown(unix.LINUX_REBOOT_CMD_RESTART)
		default:
			a.do(wz, act, wk)
		}
	}
}

// do carries out an action of the wizard's that does not end the
// installer; what runs in the background reports to wk.
func (a *app) do(wz *wizard.Wizard, act wizard.Action, wk work) {
	switch act := act.(type) {
	case wizard.Rescan:
		a.rescan(wz)
	case wizard.StartInstall:
		a.journal.Logf("install confirmed onto %s with options %+v", act.Target.Describe(), act.Options)
		go a.runInstall(act, wk.progress, wk.done)
	case wizard.StartUpgrade:
		a.startUpgrade(act, wk)
	case wizard.ExportLogs:
		go func() {
			where, err := a.exportLogs()
			wk.exported <- exportDone{where, err}
		}()
	}
}

// rescan lists the disks again for the wizard, with the installations
// of this product on them.
func (a *app) rescan(wz *wizard.Wizard) {
	s, err := install.Look(a.env)
	if err != nil {
		a.reportError(err)
	}
	wz.SetDisks(s.Candidates(a.env))
	wz.SetInstallations(a.installations(s))
}

// startWizard looks at the machine and its disks, announces the ready
// event and returns the wizard on its first screen.
func (a *app) startWizard() *wizard.Wizard {
	info, err := sysinfo.Read(a.roots.Proc, a.roots.Sys)
	if err != nil {
		a.reportError(&install.Error{Code: errcode.Sysinfo, Err: err})
	}
	s, err := a.survey()
	if err != nil {
		a.reportError(err)
	}
	cands, facts := s.Candidates(a.env), s.Facts
	m := wizard.Machine{Product: a.rel.Product, Version: a.rel.Version, CPUs: info.CPUs, CPUModel: info.CPUModel, Memory: info.MemoryBytes,
		Settings: a.settings, SecureBoot: a.secureBoot()}
	if err := installplan.CheckMachine(facts, a.env.Req); err != nil {
		m.Problems = append(m.Problems, err.Error())
	}
	wz := wizard.New(m, cands, maxDataSize)
	wz.SetInstallations(a.installations(s))
	if a.startFailure != nil {
		wz.Finished(wizard.Result{}, a.startFailure)
	}
	bt, err := boottime.Read(filepath.Join(a.roots.Dev, "kmsg"))
	if err != nil {
		a.journal.Logf("%v", err)
	}
	a.events.Emit(event.Ready{
		Product: a.rel.Product, Version: a.rel.Version, CPUs: info.CPUs, Memory: info.MemoryBytes,
		Disks: disksOf(cands), Candidates: candidateEvents(cands), Uptime: bt.Uptime, InitStarted: bt.InitStarted, Screen: wz.Screen(),
		SecureBoot: m.SecureBoot.Status.SecureBoot, SetupMode: m.SecureBoot.Status.SetupMode, SecureBootKeys: m.SecureBoot.Keys,
	})
	a.payloadCheck.Start() // the first screen is up: the check may have the CPU
	return wz
}

// secureBoot is what the wizard shows and offers about Secure Boot.
func (a *app) secureBoot() wizard.SecureBoot {
	st, err := secureboot.Read(a.roots.Vars, secureboot.LockdownPath)
	if err != nil {
		a.journal.Logf("secure boot: %v", err)
	}
	return wizard.SecureBoot{Status: st, Keys: a.sbKeys != nil, Offer: enrollOffer(a.roots.Vars, a.sbKeys)}
}

// enrollOffer is what enrolling the image's keys would do, or nil when
// they cannot be enrolled here (not in Setup Mode, no keys, no UEFI).
func enrollOffer(vars efivar.Store, keys *sbenroll.Keys) *wizard.EnrollOffer {
	fw := sbenroll.ReadFirmware(vars, keys)
	decide := func(microsoft bool) sbenroll.Decision {
		d, _ := sbenroll.Decide(sbenroll.Request{Policy: answers.SecureBootEnrollIfSetupMode, Microsoft: microsoft, Firmware: fw, Keys: keys})
		return d // enroll-if-setup-mode refuses nothing
	}
	with, without := decide(true), decide(false)
	if !with.Enroll || !without.Enroll {
		return nil
	}
	return &wizard.EnrollOffer{WithMicrosoft: with, WithoutMicrosoft: without}
}

// secureBootAnswers are the answers' Secure Boot keys for the choice
// made on the secure-boot screen.
func secureBootAnswers(ans *answers.Answers, o wizard.Options) {
	ans.SecureBoot = answers.SecureBootOff
	if o.EnrollKeys {
		ans.SecureBoot = answers.SecureBootEnrollIfSetupMode
	}
	ans.OmitMicrosoftKeys = !o.MicrosoftKeys
}

// show draws the wizard's screen and emits its screen event if it
// differs from last, the one emitted before; it returns the new one.
// It draws first, so that whoever reacts to the event (a test taking a
// screendump) sees the new screen.
func (a *app) show(wz *wizard.Wizard, scr *tui.Screen, last event.Screen) event.Screen {
	v := wz.View()
	if a.gfx != nil {
		if err := a.gfx.Draw(v); err != nil {
			a.journal.Logf("graphics: %v", err)
		}
	}
	scr.Draw(v)
	ev := wz.Event()
	if !reflect.DeepEqual(ev, last) {
		a.events.Emit(ev)
	}
	return ev
}

// finished reports a finished install and shows its outcome.
func (a *app) finished(wz *wizard.Wizard, d installDone) {
	if d.err != nil {
		a.reportError(d.err)
		wz.Finished(wizard.Result{}, &wizard.Failure{Code: errorCode(d.err), Message: d.err.Error(), Wrote: install.Wrote(d.err),
			Installed: install.Installed(d.err)})
		a.sendLogBundle()
		return
	}
	a.installed(d.res, "")
	wz.Finished(wizard.Result{Disk: d.res.Disk.Describe(), BootEntry: efivar.BootOptionName(d.res.BootEntry), Duration: d.res.Duration,
		SecureBootEnrolled: d.res.SecureBootEnrolled}, nil)
}

// logsExported reports the outcome of Export logs.
func (a *app) logsExported(wz *wizard.Wizard, e exportDone) {
	wz.Exported(e.where, e.err)
	if e.err != nil {
		a.events.Emit(event.Error{Code: errcode.ExportLogs, Message: e.err.Error()})
		return
	}
	a.events.Emit(event.LogsExported{Path: e.where})
}

// runInstall carries out a confirmed interactive install.
func (a *app) runInstall(act wizard.StartInstall, progress chan<- install.Progress, done chan<- installDone) {
	if err := a.payloadCheck.Wait(); err != nil {
		done <- installDone{err: err}
		return
	}
	ans := answers.Default()
	ans.Hostname, ans.DataSize = act.Options.Hostname, act.Options.DataSize
	secureBootAnswers(&ans, act.Options)
	env := a.env
	env.Progress = progressTo(progress)
	req := a.payload
	req.Answers, req.Target, req.Typed, req.SettingDecls, req.Settings = &ans, act.Target, act.Typed, a.settings, act.Options.Settings
	res, err := install.Install(context.Background(), env, req)
	done <- installDone{res, err}
}

// progressTo passes progress on to the interactive loop without ever
// holding up the work that reports it.
func progressTo(progress chan<- install.Progress) func(install.Progress) {
	return func(p install.Progress) {
		select {
		case progress <- p:
		default: // the screen is behind; the next update will do
		}
	}
}

// candidateEvents are the candidates as the ready event lists them.
func candidateEvents(cands []installplan.Candidate) []event.Candidate {
	out := make([]event.Candidate, len(cands))
	for i, c := range cands {
		out[i] = event.Candidate{Disk: diskEvent(c.Disk), ShortID: c.ShortID, ByID: c.ByID, Eligible: c.Eligible,
			Reasons: c.Reasons, HasData: c.HasData, Signatures: c.Signatures}
	}
	return out
}

func disksOf(cands []installplan.Candidate) []event.Disk {
	out := make([]event.Disk, len(cands))
	for i, c := range cands {
		out[i] = diskEvent(c.Disk)
	}
	return out
}

func diskEvent(d disk.Disk) event.Disk {
	return event.Disk{Name: d.Name, Path: d.Path, Model: d.Model, Serial: d.Serial, WWN: d.WWN, Size: d.Size,
		LogicalBlockSize: d.LogicalBlockSize, PhysicalBlockSize: d.PhysicalBlockSize, Rotational: d.Rotational,
		Removable: d.Removable, ReadOnly: d.ReadOnly, Transport: d.Transport, Partitions: d.Partitions}
}

// maxDataSize is the largest data partition that fits on c.
func maxDataSize(c installplan.Candidate) (int64, error) {
	ss := c.Disk.LogicalBlockSize
	if ss == 0 {
		ss = 512
	}
	return provision.MaxDataSize(c.Disk.Size, ss)
}
