package wizard

import (
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/view"
)

// View is what the current screen shows, for the text and graphical UIs.
func (w *Wizard) View() view.View {
	v := view.View{Screen: w.screen, Title: fmt.Sprintf("%s %s installer", w.machine.Product, w.machine.Version), Note: w.note, Cursor: -1}
	switch w.screen {
	case ScreenWelcome:
		w.welcomeView(&v)
	case ScreenSecureBoot:
		w.secureBootView(&v)
	case ScreenDisks:
		w.disksView(&v)
	case ScreenAdvanced:
		w.advancedView(&v)
	case ScreenConfirm:
		w.confirmView(&v)
	case ScreenUpgrade:
		w.upgradeView(&v)
	case ScreenProgress:
		if w.upgrading != nil {
			w.upgradeProgressView(&v)
		} else {
			w.progressView(&v)
		}
	case ScreenDone:
		if w.upgrading != nil {
			w.upgradeDoneView(&v)
		} else {
			w.doneView(&v)
		}
	case ScreenFailed:
		w.failedView(&v)
	}
	return v
}

func (w *Wizard) welcomeView(v *view.View) {
	v.Heading = "Welcome"
	v.Body = append(v.Body,
		view.Line{Text: fmt.Sprintf("This installs %s %s onto a disk of this machine.", w.machine.Product, w.machine.Version)},
		view.Line{},
		view.Line{Text: fmt.Sprintf("CPU     %d x %s", w.machine.CPUs, w.machine.CPUModel)},
		view.Line{Text: "Memory  " + disk.HumanSize(w.machine.Memory)},
	)
	eligible := 0
	for _, c := range w.cands {
		if c.Eligible {
			eligible++
		}
	}
	v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("Disks   %d found, %d can be installed to", len(w.cands), eligible)},
		view.Line{Text: w.secureBootLine()})
	v.Body = append(v.Body, w.installedLines()...)
	for _, p := range w.machine.Problems {
		v.Body = append(v.Body, view.Line{Text: "Not enough: " + p, Style: view.Warn})
	}
	v.Menu, v.Cursor = labels(welcomeMenu), w.cursor
	v.Hint = "Up/Down choose  Enter select  i install  p power off  r reboot"
}

func (w *Wizard) disksView(v *view.View) {
	v.Heading = "Choose the disk to install to"
	if len(w.cands) == 0 {
		v.Body = append(v.Body, view.Line{Text: "No disks found.", Style: view.Warn})
	}
	for i, c := range w.cands {
		l := view.Line{Text: fmt.Sprintf("%d %s", i+1, c.Describe()), Selected: i == w.cursor}
		in := w.installationOn(c)
		switch {
		case in != nil:
			w.diskRowInstalled(&l, c, *in)
		case !c.Eligible:
			l.Style = view.Dim
			l.Text += "  - not usable: " + strings.Join(c.Reasons, "; ")
		case c.HasData:
			l.Text += "  - holds " + c.DataSummary()
		default:
			l.Text += "  - empty"
		}
		v.Body = append(v.Body, l)
	}
	v.Body = append(v.Body, view.Line{}, view.Line{Text: "Options: " + w.optionsSummary(), Style: view.Dim})
	if s := w.settingsSummary(); s != "" {
		style := view.Dim
		if len(w.missingSettings()) > 0 {
			style = view.Warn
		}
		v.Body = append(v.Body, view.Line{Text: s, Style: style})
	}
	v.Hint = "Up/Down choose  Enter select  a advanced  r rescan  Esc back"
	if c, ok := w.highlighted(); ok && w.installationOn(c) != nil {
		v.Hint = "Up/Down choose  Enter select  u upgrade  a advanced  r rescan  Esc back"
	}
}

func (w *Wizard) confirmView(v *view.View) {
	c := *w.target
	v.Heading = "Erase this disk?"
	v.Body = append(v.Body, view.Line{Text: c.Describe(), Style: view.Strong})
	if c.HasData {
		v.Body = append(v.Body, view.Line{Text: "Everything on it is destroyed: " + c.DataSummary() + ".", Style: view.Warn})
	} else {
		v.Body = append(v.Body, view.Line{Text: "The disk looks empty; it is partitioned and formatted anew."})
	}
	if s := w.eraseInstalledLine(c); s != "" {
		v.Body = append(v.Body, view.Line{Text: s, Style: view.Warn})
	}
	v.Body = append(v.Body,
		view.Line{Text: fmt.Sprintf("New layout: EFI system partition 512 MiB, data partition %s.", w.dataText())},
		view.Line{Text: "Hostname: " + orDefault(w.opts.Hostname, "derived from the machine")})
	if s := w.settingsSummary(); s != "" {
		v.Body = append(v.Body, view.Line{Text: s})
	}
	if s := w.confirmSecureBootLine(); s != "" {
		v.Body = append(v.Body, view.Line{Text: s})
	}
	v.Body = append(v.Body,
		view.Line{},
		view.Line{Text: fmt.Sprintf("To go ahead, type the disk's id %s (or its serial) and press Enter.", c.ShortID), Style: view.Strong})
	v.Fields = []view.Field{{Label: "Disk id", Value: string(w.input), Active: true}}
	v.Hint = "type the id  Enter erase and install  Esc back"
}

func (w *Wizard) progressView(v *view.View) {
	v.Heading = "Installing"
	if w.target != nil {
		v.Body = append(v.Body, view.Line{Text: "onto " + w.target.Describe()})
	}
	p := w.progress
	label := p.Step.Label()
	if p.Bytes > 0 {
		if p.Total > 0 {
			label += fmt.Sprintf(", %s of %s written", mib(p.Bytes), mib(p.Total))
		} else {
			label += fmt.Sprintf(", %s written", mib(p.Bytes))
		}
	}
	v.Bar = &view.Bar{Percent: p.Percent, Label: label}
	v.Hint = "Please wait; do not remove any disk."
}

func (w *Wizard) doneView(v *view.View) {
	v.Heading = "Installed"
	v.Body = append(v.Body,
		view.Line{Text: fmt.Sprintf("%s %s is installed on %s.", w.machine.Product, w.machine.Version, w.result.Disk), Style: view.Good},
		view.Line{Text: fmt.Sprintf("Boot entry %s, took %s.", w.result.BootEntry, w.result.Duration.Round(100*1e6))})
	if w.result.SecureBootEnrolled {
		v.Body = append(v.Body, view.Line{Text: "Secure Boot keys enrolled (db, KEK, PK): the firmware has left Setup Mode.", Style: view.Good})
	}
	v.Body = append(v.Body, view.Line{Text: "Remove the installer medium."})
	w.doneCountdown(v)
}

// doneCountdown ends the finish screen: the countdown and the menu.
func (w *Wizard) doneCountdown(v *view.View) {
	if w.count > 0 {
		v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("Rebooting in %d s (press any key to stay).", w.count)})
	}
	v.Menu, v.Cursor = labels(doneMenu), w.cursor
	v.Hint = "Enter select  r reboot  p power off"
}

func (w *Wizard) failedView(v *view.View) {
	v.Heading = "Installation failed"
	f := w.failure
	v.Body = append(v.Body, view.Line{Text: f.Message, Style: view.Warn})
	if f.Code != "" {
		v.Body = append(v.Body, view.Line{Text: "Code: " + string(f.Code), Style: view.Dim})
	}
	v.Menu, v.Cursor = labels(failedMenu), w.cursor
	v.Hint = "Up/Down choose  Enter select  r retry  b back  e export logs  p power off"
	if w.upgrading != nil {
		v.Heading = "Upgrade failed"
		v.Body = append(v.Body, w.upgradeFailedLines()...)
		return
	}
	if w.target != nil {
		if f.Installed {
			v.Body = append(v.Body, view.Line{Text: "The disk " + w.target.Describe() + " is installed and verified; only the Secure Boot keys are not enrolled."})
		} else if f.Wrote {
			v.Body = append(v.Body, view.Line{Text: "The disk " + w.target.Describe() + " was partly written; it does not boot as it is."})
		} else {
			v.Body = append(v.Body, view.Line{Text: "Nothing was written to " + w.target.Describe() + "."})
		}
	}
	v.Body = append(v.Body, view.Line{Text: "Retry asks for the disk's id again. Export logs writes them to a FAT USB stick."})
}

// Event is the screen's summary for the "screen" event, so automation
// can follow and drive the interactive flow.
func (w *Wizard) Event() event.Screen {
	ev := event.Screen{Screen: w.screen, Note: w.note, Exported: w.exported}
	switch w.screen {
	case ScreenDisks:
		ev.DisksScreen = &event.DisksScreen{}
		for i, c := range w.cands {
			d := event.ScreenDisk{ShortID: c.ShortID, Name: c.Disk.Name, Serial: c.Disk.Serial,
				Eligible: c.Eligible, HasData: c.HasData, Selected: i == w.cursor}
			if in := w.installationOn(c); in != nil {
				d.Installed, d.Upgradable = in.Version, in.Refused == ""
			}
			ev.Disks = append(ev.Disks, d)
		}
	case ScreenConfirm:
		ev.ConfirmScreen = &event.ConfirmScreen{ShortID: w.target.ShortID, Disk: w.target.Disk.Name, HasData: w.target.HasData,
			Typed: len(w.input), EnrollKeys: w.opts.EnrollKeys} // how much, not what: enough to follow typing
	case ScreenSecureBoot:
		ev.SecureBootScreen = w.secureBootEvent()
	case ScreenAdvanced:
		ev.AdvancedScreen = w.advancedEvent()
	case ScreenFailed:
		ev.FailedScreen = &event.FailedScreen{Code: w.failure.Code, Message: w.failure.Message, Wrote: w.failure.Wrote}
	}
	return ev
}

func labels(items []menuItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.label
	}
	return out
}

func (w *Wizard) optionsSummary() string {
	return fmt.Sprintf("data partition %s, hostname %s", w.dataText(), orDefault(w.opts.Hostname, "derived"))
}

func (w *Wizard) dataText() string {
	if w.opts.DataSize == 0 {
		return "the rest of the disk"
	}
	return answers.FormatSize(w.opts.DataSize)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// advancedEvent describes the advanced screen's fields for the screen
// event, settings included.
func (w *Wizard) advancedEvent() *event.AdvancedScreen {
	ev := &event.AdvancedScreen{DataSize: string(w.edit[fieldDataSize]), Hostname: string(w.edit[fieldHostname]), Field: w.field}
	for i, d := range w.machine.Settings {
		f := settingFields + i
		ev.Settings = append(ev.Settings, event.ScreenSetting{Name: d.Name, Type: d.Type.String(), Value: string(w.edit[f]),
			Required: d.Default == nil, Error: w.errs[f]})
	}
	return ev
}
