package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/answersvol"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/upgrade"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
	"golang.org/x/sys/unix"
)

// answersSource says where install.yaml came from.
type answersSource struct {
	Kind  string // sourceEmbedded, sourceVolume, sourceSMBIOS or sourceImage, as answers-found names it
	Where string // for people: a path, the PLINTHCFG volume, or the URL
	Disk  string // kernel name of the disk holding it; never an install target
	URL   string // the URL they were fetched from (sourceSMBIOS, sourceImage)
}

// findAnswers reads install.yaml: embedded in the image, or else from
// a FAT volume labelled PLINTHCFG. (nil, nil) means there is none and
// the install is interactive. Errors are malformed or ambiguous answers.
func findAnswers(r roots) (*answers.Answers, answersSource, error) {
	if data, err := os.ReadFile(r.Answers); err == nil {
		a, err := answers.Parse(data)
		return a, answersSource{Kind: sourceEmbedded, Where: r.Answers}, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, answersSource{}, fmt.Errorf("read %s: %w", r.Answers, err)
	}
	// A USB stick may still be probing when init starts us (usb-storage
	// waits a second before it scans): wait for its disk to appear.
	for deadline := time.Now().Add(usbWait); usbStoragePending(r.Sys) && time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
	}
	vols, err := answersvol.Find(r.Sys, r.Dev)
	if err != nil {
		return nil, answersSource{}, err
	}
	if len(vols) == 0 {
		return nil, answersSource{}, nil
	}
	v, err := answersvol.One(vols)
	if err != nil {
		return nil, answersSource{}, err
	}
	src := answersSource{Kind: sourceVolume, Where: answersvol.Label + " volume " + v.Describe, Disk: v.Disk}
	data, err := answersvol.Read(v)
	if err != nil {
		return nil, src, err
	}
	a, err := answers.Parse(data)
	return a, src, err
}

// usbWait bounds the wait for USB storage to show its disks.
const usbWait = 5 * time.Second

// usbStoragePending reports whether a USB mass-storage interface
// (class 08) has no block device under it yet.
func usbStoragePending(sysRoot string) bool {
	classes, _ := filepath.Glob(filepath.Join(sysRoot, "bus/usb/devices/*:*/bInterfaceClass"))
	for _, c := range classes {
		if b, err := os.ReadFile(c); err != nil || strings.TrimSpace(string(b)) != "08" {
			continue
		}
		blocks, _ := filepath.Glob(filepath.Join(filepath.Dir(c), "host*/target*/*/block/*"))
		if len(blocks) == 0 {
			return true
		}
	}
	return false
}

// unattended installs as the answers say, then reboots or powers off.
// On failure it returns, and the interactive installer shows the failure.
func (a *app) unattended(ans *answers.Answers, src answersSource) {
	a.journal.Logf("Unattended installation (%s).", src.Where)
	fmt.Fprintf(a.out, "\r\nUnattended installation (%s).\r\n", src.Where)
	if err := a.payloadCheck.Wait(); err != nil {
		a.unattendedFailed(err)
		return
	}
	env := a.env
	env.Log = func(format string, args ...any) {
		a.journal.Logf(format, args...)
		fmt.Fprintf(a.out, format+"\r\n", args...)
	}
	screen := a.unattendedScreen()
	last := ""
	env.Progress = func(p install.Progress) {
		if line := fmt.Sprintf("%3d%%  %s", p.Percent, p.Step.Label()); line != last {
			fmt.Fprintf(a.out, "%s\r\n", line)
			last = line
		}
		screen.show(a.unattendedView(src, p))
	}
	// Run refuses settings the product does not declare, or of the wrong
	// type, before it looks at any disk.
	if ans.Upgrade() {
		a.upgrade(env, ans, screen)
		return
	}
	req := a.payload
	req.Answers, req.SettingDecls = ans, a.settings
	res, err := install.Run(context.Background(), env, req)
	screen.close()
	if err != nil {
		a.unattendedFailed(err)
		return
	}
	a.installed(res, ans.After)
}

// upgrade upgrades this product's installation in place (mode: upgrade),
// then reboots into the new version's trial boot or powers off. screen
// shows its progress, and is closed once it ends.
func (a *app) upgrade(env install.Env, ans *answers.Answers, screen *screenFeed) {
	p := a.payload
	res, err := upgrade.Run(context.Background(), env, upgrade.Request{Answers: ans, Manifest: a.manifest, UKI: p.UKI, Shim: p.Shim, MokManager: p.MokManager})
	screen.close()
	if err != nil {
		a.unattendedFailed(err)
		return
	}
	after := cmp.Or(ans.After, answers.AfterReboot)
	a.events.Emit(event.Upgraded{Disk: res.Plan.Disk.Name, From: res.FromVersion, Version: res.ToVersion, Slot: string(res.Slot),
		BootEntry: efivar.BootOptionName(res.BootEntry), Seconds: res.Duration.Seconds(), After: after})
	msg := fmt.Sprintf("Upgraded %s from %s to %s on %s in %s; it boots the new version once, and keeps it when its services are healthy.",
		a.manifest.Product, res.FromVersion, res.ToVersion, res.Plan.Disk.Name, res.Duration.Round(time.Second))
	a.journal.Logf("%s", msg)
	fmt.Fprintf(a.out, "%s\r\n", msg)
	a.shutdown(rebootCmd(after))
}

// installed reports a finished install; unattended installs then end.
func (a *app) installed(res *install.Result, after string) {
	if b, err := res.Plan.JSON(); err == nil {
		a.lastPlan = b
	}
	a.events.Emit(event.Installed{
		Disk: res.Disk.Name, Serial: res.Disk.Serial, BootEntry: efivar.BootOptionName(res.BootEntry),
		OurEntries: res.OurEntries, Seconds: res.Duration.Seconds(), Bytes: res.BytesOnDisk,
		After: after, Version: a.manifest.Version,
	})
	msg := fmt.Sprintf("Installed %s %s on %s in %s.", a.manifest.Product, a.manifest.Version, res.Disk.Describe(), res.Duration.Round(time.Second))
	a.journal.Logf("%s", msg)
	if after == "" {
		return // interactive: the finish screen takes over
	}
	fmt.Fprintf(a.out, "%s\r\n", msg)
	a.shutdown(rebootCmd(after))
}

// rebootCmd is reboot(2)'s cmd for the answers' after:.
func rebootCmd(after string) int {
	if after == answers.AfterPoweroff {
		return unix.LINUX_REBOOT_CMD_POWER_OFF
	}
	return unix.LINUX_REBOOT_CMD_RESTART
}

// unattendedFailed reports why the unattended install stopped; the
// interactive installer then starts on its failure screen.
func (a *app) unattendedFailed(err error) {
	a.reportError(err)
	a.startFailure = &wizard.Failure{Code: errorCode(err), Message: err.Error(), Wrote: install.Wrote(err), Installed: install.Installed(err)}
	a.sendLogBundle()
}

// reportError emits the error event: code and message, plus line and
// field for a malformed answers file.
func (a *app) reportError(err error) {
	ev := event.Error{Code: errorCode(err), Message: err.Error()}
	var pe *answers.ParseError
	if errors.As(err, &pe) {
		ev.AnswersPosition = &event.AnswersPosition{Line: pe.Line, Field: pe.Field}
	}
	a.events.Emit(ev)
	a.journal.Logf("error: %v", err)
}

func errorCode(err error) errcode.Code {
	var pe *answers.ParseError
	if errors.As(err, &pe) {
		return errcode.AnswersInvalid
	}
	return install.Code(err)
}

// unattendedScreen is the feed that draws an unattended install's
// progress on the framebuffer, if there is one, beside the install.
func (a *app) unattendedScreen() *screenFeed {
	if a.gfx == nil {
		return newScreenFeed(nil)
	}
	return newScreenFeed(func(v view.View) { a.gfx.Draw(v) })
}

// unattendedView is the screen of an unattended install at progress p.
func (a *app) unattendedView(src answersSource, p install.Progress) view.View {
	label := p.Step.Label()
	if p.Total > 0 {
		label += fmt.Sprintf(", %.1f of %.1f MiB written", float64(p.Bytes)/(1<<20), float64(p.Total)/(1<<20))
	}
	return view.View{
		Screen: wizard.ScreenProgress, Cursor: -1,
		Title:   fmt.Sprintf("%s %s installer", a.rel.Product, a.rel.Version),
		Heading: "Installing (unattended)",
		Body:    []view.Line{{Text: "Answers from " + src.Where}},
		Bar:     &view.Bar{Percent: p.Percent, Label: label},
		Hint:    "Please wait; do not remove any disk.",
	}
}
