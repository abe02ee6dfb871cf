package wizard

import (
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/view"
)

// A disk that holds an installation of this product can be upgraded in
// place instead of erased: u on the disk list opens the upgrade screen,
// which says what is kept and what the trial boot does, and Enter
// starts it. Nothing is erased, so no id is typed; the upgrade itself
// refuses, before it writes, an installation that changed since it was
// listed. The advanced options are a new install's and play no part.

// Installation is an installation of this product found on a disk, as
// the installer read it; it tells the disk list what the disk holds.
type Installation struct {
	// Disk is the disk holding it, matched to the disk list's rows by
	// identity (name, serial, WWN, size, model).
	Disk installplan.Candidate
	// Version is the installed (committed) version; Hostname the
	// machine's, which the upgrade keeps.
	Version, Hostname string
	// Legacy: the disk has the layout from before A/B slots, which the
	// upgrade converts first.
	Legacy bool
	// Refused says why it cannot be upgraded, in the upgrade's own words
	// (a version not older than the installer's, a trial boot pending);
	// "" when it can. A refused installation is listed all the same.
	Refused string
}

// StartUpgrade upgrades Target in place, confirmed on the upgrade
// screen. The installer looks at the disks again before it writes.
type StartUpgrade struct {
	Target Installation
}

func (StartUpgrade) isAction() {}

// SetInstallations replaces the installations of this product on the
// disks (at start and after Rescan, with SetDisks). An upgrade being
// confirmed whose installation is gone, changed or now refused sends
// the user back to the disk list.
func (w *Wizard) SetInstallations(ins []Installation) {
	w.installs = ins
	if w.upgrading == nil {
		return
	}
	now := w.installationOn(w.upgrading.Disk)
	if now != nil && now.Refused == "" && now.Version == w.upgrading.Version {
		w.upgrading = now
		return
	}
	lost := w.upgrading.Disk.Describe()
	w.upgrading = nil
	if w.screen != ScreenUpgrade {
		return
	}
	w.goTo(ScreenDisks)
	if now != nil && now.Refused != "" {
		w.note = now.Refused
		return
	}
	w.note = fmt.Sprintf("The chosen disk %s changed or no longer holds %s; choose again.", lost, w.machine.Product)
}

// installationOn is the installation on disk c; nil when it holds none
// of this product.
func (w *Wizard) installationOn(c installplan.Candidate) *Installation {
	for i := range w.installs {
		if sameDisk(w.installs[i].Disk, c) {
			in := w.installs[i]
			return &in
		}
	}
	return nil
}

// chooseUpgrade is u on the disk list: the upgrade screen for the
// highlighted disk's installation, or why it cannot be upgraded. On a
// disk without one the key means nothing.
func (w *Wizard) chooseUpgrade() {
	c, ok := w.highlighted()
	if !ok {
		return
	}
	in := w.installationOn(c)
	switch {
	case in == nil:
		return
	case in.Refused != "":
		w.note = in.Refused
		return
	}
	w.upgrading, w.target = in, nil
	w.goTo(ScreenUpgrade)
}

func (w *Wizard) upgradeKey(k Key) Action {
	switch k.Kind {
	case KeyEsc:
		w.goTo(ScreenDisks)
	case KeyEnter:
		in := *w.upgrading
		w.progress = Progress{Step: step.Starting}
		w.goTo(ScreenProgress)
		return StartUpgrade{Target: in}
	}
	return nil
}

// installedText is what the disk list says the installation is.
func (w *Wizard) installedText(in Installation) string {
	s := w.machine.Product + " " + in.Version
	if in.Hostname != "" {
		s += ", host " + in.Hostname
	}
	return s
}

func (w *Wizard) upgradeView(v *view.View) {
	in := *w.upgrading
	from, to := in.Version, w.machine.Version
	v.Heading = "Upgrade, keep data?"
	v.Body = append(v.Body,
		view.Line{Text: in.Disk.Describe(), Style: view.Strong},
		view.Line{Text: "It holds " + w.installedText(in) + "."},
		view.Line{Text: fmt.Sprintf("%s %s on %s becomes %s. Its data, hostname and settings are kept.", w.machine.Product, from, in.Disk.Disk.Name, to)},
		view.Line{Text: fmt.Sprintf("The machine then boots %s once and keeps it if its services are healthy; otherwise it goes back to %s by itself.", to, from)})
	if in.Legacy {
		v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("Its disk has the layout from before A/B slots: it is converted first, %s becoming slot A.", from)})
	}
	if w.opts.Hostname != "" || w.opts.DataSize != 0 {
		v.Body = append(v.Body, view.Line{Text: "The advanced options are for a new install: the upgrade keeps the installation's.", Style: view.Dim})
	}
	if w.opts.EnrollKeys {
		v.Body = append(v.Body, view.Line{Text: "Secure Boot: an upgrade enrolls no keys; the firmware stays in Setup Mode.", Style: view.Dim})
	}
	v.Body = append(v.Body, view.Line{},
		view.Line{Text: "Nothing is erased. Press Enter to upgrade, or Esc to go back.", Style: view.Strong})
	v.Hint = "Enter upgrade  Esc back"
}

// upgradeLabels name the steps of an upgrade where the install's
// labels would mislead: it writes into a slot and arms a trial boot.
var upgradeLabels = map[step.Name]string{
	step.FormatESP: "Writing the new version into its slot",
	step.BootEntry: "Arming the trial boot",
}

func (w *Wizard) upgradeProgressView(v *view.View) {
	in := *w.upgrading
	v.Heading = "Upgrading"
	v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("%s %s on %s becomes %s", w.machine.Product, in.Version, in.Disk.Describe(), w.machine.Version)})
	p := w.progress
	label, ok := upgradeLabels[p.Step]
	if !ok {
		label = p.Step.Label()
	}
	if p.Bytes > 0 && p.Total > 0 {
		label += fmt.Sprintf(", %s of %s written", mib(p.Bytes), mib(p.Total))
	}
	v.Bar = &view.Bar{Percent: p.Percent, Label: label}
	v.Hint = "Please wait; do not remove any disk."
}

func (w *Wizard) upgradeDoneView(v *view.View) {
	from, to := w.upgrading.Version, w.machine.Version
	v.Heading = "Upgraded"
	v.Body = append(v.Body,
		view.Line{Text: fmt.Sprintf("%s on %s is upgraded from %s to %s.", w.machine.Product, w.result.Disk, from, to), Style: view.Good},
		view.Line{Text: fmt.Sprintf("At the next start it boots %s once (slot %s, boot entry %s) and keeps it if its services are healthy; otherwise it goes back to %s by itself.",
			to, w.result.Slot, w.result.BootEntry, from)},
		view.Line{Text: fmt.Sprintf("Took %s.", w.result.Duration.Round(100*1e6))},
		view.Line{Text: "Remove the installer medium."})
	w.doneCountdown(v)
}

// upgradeFailedLines say what a failed upgrade left on the disk.
func (w *Wizard) upgradeFailedLines() []view.Line {
	in := w.upgrading
	var what string
	if w.failure.Wrote {
		what = fmt.Sprintf("The EFI system partition of %s was written to; %s %s and its data stay installed, and the machine comes back to it.",
			in.Disk.Describe(), w.machine.Product, in.Version)
	} else {
		what = "Nothing was written to " + in.Disk.Describe() + "."
	}
	return []view.Line{{Text: what}, {Text: "Retry asks to confirm the upgrade again. Export logs writes them to a FAT USB stick."}}
}

// installedLines are what the welcome screen says about the
// installations of this product it found.
func (w *Wizard) installedLines() []view.Line {
	var out []view.Line
	for _, in := range w.installs {
		text := fmt.Sprintf("Found   %s on %s", w.installedText(in), in.Disk.Disk.Name)
		if in.Refused == "" {
			text += fmt.Sprintf(": choose Install, then u on its disk to upgrade it to %s and keep its data.", w.machine.Version)
		}
		out = append(out, view.Line{Text: text})
	}
	return out
}

// diskRowInstalled is a disk list row for a disk holding this product.
func (w *Wizard) diskRowInstalled(l *view.Line, c installplan.Candidate, in Installation) {
	l.Text += "  - holds " + w.installedText(in)
	if !c.Eligible {
		l.Text += "; cannot be installed to: " + strings.Join(c.Reasons, "; ")
		if in.Refused != "" {
			l.Style = view.Dim
		}
	}
}

// eraseInstalledLine is what the erase confirmation adds about the
// installation the disk holds, or "" when it holds none.
func (w *Wizard) eraseInstalledLine(c installplan.Candidate) string {
	in := w.installationOn(c)
	switch {
	case in == nil:
		return ""
	case in.Refused != "":
		return "It holds " + w.installedText(*in) + "."
	}
	return "It holds " + w.installedText(*in) + ". To keep its data, press Esc and then u to upgrade it instead."
}
