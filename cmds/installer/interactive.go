package main

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/kmsg"
	"github.com/plinth-os/plinth/internal/provision"
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

// interactive runs the wizard on the consoles until the machine powers
// off or reboots.
func (a *app) interactive(keys <-chan byte) {
	info, err := sysinfo.Read(a.roots.Proc, a.roots.Sys)
	if err != nil {
		a.reportError(&install.Error{Code: "sysinfo", Err: err})
	}
	cands, facts, err := install.Discover(a.env)
	if err != nil {
		a.reportError(err)
	}
	m := wizard.Machine{Product: a.rel.Product, Version: a.rel.Version, CPUs: info.CPUs, CPUModel: info.CPUModel, Memory: info.MemoryBytes}
	if err := installplan.CheckMachine(facts, a.env.Req); err != nil {
		m.Problems = append(m.Problems, err.Error())
	}
	wz := wizard.New(m, cands, maxDataSize)
	if a.startFailure != nil {
		wz.Finished(wizard.Result{}, a.startFailure)
	}
	scr := tui.New(a.out)
	a.events.Emit("ready", map[string]any{
		"product": a.rel.Product, "version": a.rel.Version, "cpus": info.CPUs, "memory": info.MemoryBytes,
		"disks": disksOf(cands), "candidates": cands, "uptime": uptimeSeconds(), "screen": wz.Screen(),
	})

	progress := make(chan install.Progress, 64)
	done := make(chan installDone, 1)
	exported := make(chan exportDone, 1)
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
	var lastEvent map[string]any
	for {
		// Draw before the screen event, so that whoever reacts to the
		// event (a test taking a screendump) sees the new screen.
		v := wz.View()
		if a.gfx != nil {
			if err := a.gfx.Draw(v); err != nil {
				a.journal.Logf("graphics: %v", err)
			}
		}
		scr.Draw(v)
		if ev := wz.Event(); !reflect.DeepEqual(ev, lastEvent) {
			a.events.Emit("screen", ev)
			lastEvent = ev
		}
		var act wizard.Action
		select {
		case k := <-typed:
			act = wz.Key(k)
		case p := <-progress:
			wz.SetProgress(wizard.Progress{Step: p.Step, Percent: p.Percent, Bytes: p.Bytes, Total: p.Total})
		case d := <-done:
			if d.err != nil {
				a.reportError(d.err)
				wz.Finished(wizard.Result{}, &wizard.Failure{Code: errorCode(d.err), Message: d.err.Error(), Wrote: install.Wrote(d.err)})
			} else {
				a.installed(d.res, "")
				wz.Finished(wizard.Result{Disk: d.res.Disk.Describe(), BootEntry: efivar.BootOptionName(d.res.BootEntry), Duration: d.res.Duration}, nil)
			}
		case e := <-exported:
			wz.Exported(e.where, e.err)
			if e.err == nil {
				a.events.Emit("logs-exported", map[string]any{"path": e.where})
			} else {
				a.events.Emit("error", map[string]any{"code": "export-logs", "message": e.err.Error()})
			}
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
		switch act := act.(type) {
		case wizard.Rescan:
			cands, _, err := install.Discover(a.env)
			if err != nil {
				a.reportError(err)
			}
			wz.SetDisks(cands)
		case wizard.StartInstall:
			a.journal.Logf("install confirmed onto %s with options %+v", act.Target.Describe(), act.Options)
			go a.runInstall(act, progress, done)
		case wizard.ExportLogs:
			go func() {
				where, err := a.exportLogs()
				exported <- exportDone{where, err}
			}()
		case wizard.PowerOff:
			scr.Invalidate()
			fmt.Fprint(a.out, "\x1b[r\x1b[2J\x1b[HPowering off.\r\n")
			shutdown(unix.LINUX_REBOOT_CMD_POWER_OFF)
		case wizard.Reboot:
			fmt.Fprint(a.out, "\x1b[r\x1b[2J\x1b[HRebooting.\r\n")
			shutdown(unix.LINUX_REBOOT_CMD_RESTART)
		}
	}
}

// runInstall carries out a confirmed interactive install.
func (a *app) runInstall(act wizard.StartInstall, progress chan<- install.Progress, done chan<- installDone) {
	if a.payloadErr != nil {
		done <- installDone{err: a.payloadErr}
		return
	}
	ans := answers.Default()
	ans.Hostname, ans.DataSize = act.Options.Hostname, act.Options.DataSize
	env := a.env
	env.Progress = func(p install.Progress) {
		select {
		case progress <- p:
		default: // the screen is behind; the next update will do
		}
	}
	res, err := install.Install(context.Background(), env, act.Target, &ans, act.Typed, a.manifest, a.uki)
	done <- installDone{res, err}
}

func disksOf(cands []installplan.Candidate) []disk.Disk {
	out := make([]disk.Disk, len(cands))
	for i, c := range cands {
		out[i] = c.Disk
	}
	return out
}

// maxDataSize is the largest data partition that fits on c.
func maxDataSize(c installplan.Candidate) (int64, error) {
	ss := c.Disk.LogicalBlockSize
	if ss == 0 {
		ss = 512
	}
	return provision.MaxDataSize(c.Disk.Size, ss)
}
