// Package wizard is the installer's interactive flow as a state machine:
// welcome and hardware summary (Secure Boot included), the offer to
// enroll the image's Secure Boot keys (only in Setup Mode with keys in
// the image), disk choice, advanced options (data partition size,
// hostname and the product's per-machine settings), typed confirmation,
// progress, finish, and the failure screen with Retry / Back / Export
// logs / Power off. A disk holding an installation of the same product
// can instead be upgraded in place, its data kept (the upgrade screen).
//
// It does no I/O. The installer feeds it keys and install progress and
// carries out the Actions it returns; a renderer (text on the consoles,
// or graphics on the framebuffer) draws its View (internal/view). Keeping the rules here
// means every renderer gets the same safety: nothing destructive starts
// without the disk's id typed on the confirmation screen, Retry
// included.
package wizard

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/keys"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/step"
)

// Screens, as the "screen" event names them.
const (
	ScreenWelcome    = "welcome"
	ScreenSecureBoot = "secure-boot"
	ScreenDisks      = "disks"
	ScreenAdvanced   = "advanced"
	ScreenConfirm    = "confirm"
	ScreenUpgrade    = "upgrade"
	ScreenProgress   = "progress"
	ScreenDone       = "done"
	ScreenFailed     = "failed"
)

// DoneCountdown is how long the finish screen waits before rebooting.
const DoneCountdown = 10

// maxInput bounds what can be typed into a field, maxSettingInput into
// a setting's (a list of peers is long).
const (
	maxInput        = 63
	maxSettingInput = 255
)

// Key is one keypress; KeyKind its kind (internal/keys, shared with the
// keyboard and terminal decoders).
type (
	Key     = keys.Key
	KeyKind = keys.Kind
)

// Keys the wizard understands.
const (
	KeyRune      = keys.Rune
	KeyEnter     = keys.Enter
	KeyEsc       = keys.Esc
	KeyUp        = keys.Up
	KeyDown      = keys.Down
	KeyBackspace = keys.Backspace
	KeyTab       = keys.Tab
)

// Machine is what the welcome screen shows.
type Machine struct {
	Product, Version string
	CPUs             int
	CPUModel         string
	Memory           int64    // bytes
	Problems         []string // unmet minimums; installing is refused
	// Settings are the product's per-machine settings, which the
	// advanced screen lets the user set.
	Settings []setting.Decl
	// SecureBoot is the firmware's Secure Boot state and whether the
	// image's keys can be enrolled.
	SecureBoot SecureBoot
}

// Options are the advanced knobs.
type Options struct {
	Hostname string // "" derives one from the machine
	DataSize int64  // bytes; 0 is the rest of the disk
	// Settings are the values of the product's settings
	// (Machine.Settings): their defaults until the advanced screen saves
	// others. A setting without default has no value until it is given
	// one, and the install does not start without it.
	Settings map[string]setting.Value
	// EnrollKeys: the image's Secure Boot keys are enrolled after the
	// install (chosen on the secure-boot screen), MicrosoftKeys with
	// Microsoft's CAs (the default).
	EnrollKeys, MicrosoftKeys bool
}

// Progress is the install's state, as the installer reports it.
type Progress struct {
	Step    step.Name
	Percent int
	Bytes   int64 // written so far
	Total   int64 // expected; 0 if unknown
}

// Result is a finished install or upgrade.
type Result struct {
	Disk      string // described for people
	BootEntry string // Boot####; of an upgrade, the one its trial boot starts
	Duration  time.Duration
	// SecureBootEnrolled: the Secure Boot keys were enrolled.
	SecureBootEnrolled bool
	// Slot is the slot an upgrade wrote the new version into (A or B).
	Slot string
}

// Failure is why an install or an upgrade stopped.
type Failure struct {
	Code    errcode.Code
	Message string
	Wrote   bool // the disk was written to before the failure
	// Installed: the disk was installed and verified before the failure
	// (only the Secure Boot enrollment failed).
	Installed bool
}

// Action is something the installer must do for the wizard.
type Action interface{ isAction() }

// StartInstall installs onto Target. Typed is what the user typed to
// confirm; the installer checks it again against the disk it finds.
type StartInstall struct {
	Target  installplan.Candidate
	Typed   string
	Options Options
}

// Rescan asks for the disks to be listed again (SetDisks).
type Rescan struct{}

// ExportLogs asks for the log bundle to be written to a USB stick
// (Exported).
type ExportLogs struct{}

// PowerOff and Reboot end the installer.
type (
	PowerOff struct{}
	Reboot   struct{}
)

func (StartInstall) isAction() {}
func (Rescan) isAction()       {}
func (ExportLogs) isAction()   {}
func (PowerOff) isAction()     {}
func (Reboot) isAction()       {}

// MaxDataSize returns the largest data partition that fits on c, for
// the advanced screen's check; nil accepts any size.
type MaxDataSize func(c installplan.Candidate) (int64, error)

// Wizard is the state of the interactive installer.
type Wizard struct {
	machine Machine
	cands   []installplan.Candidate
	maxData MaxDataSize

	screen string
	cursor int    // menu item or disk row
	input  []rune // confirmation typing
	note   string // one line under the screen: what just went wrong
	opts   Options

	// advanced screen: the field being edited, the fields' text (data
	// size, hostname, then the settings) and what is wrong with each
	field int
	edit  [][]rune
	errs  []string

	target *installplan.Candidate
	// installs are this product's installations on the disks; upgrading
	// the one chosen for upgrading (then target is nil).
	installs  []Installation
	upgrading *Installation

	progress Progress
	result   Result
	failure  Failure
	exported string
	count    int // done screen countdown; <0 stopped
}

// New starts at the welcome screen, with the settings' defaults in
// effect.
func New(m Machine, cands []installplan.Candidate, maxData MaxDataSize) *Wizard {
	w := &Wizard{machine: m, cands: cands, maxData: maxData, screen: ScreenWelcome}
	w.opts.MicrosoftKeys = true
	w.opts.Settings = make(map[string]setting.Value, len(m.Settings))
	for _, d := range m.Settings {
		if d.Default != nil {
			w.opts.Settings[d.Name] = *d.Default
		}
	}
	return w
}

// Screen is the current screen's name.
func (w *Wizard) Screen() string { return w.screen }

// Options are the advanced options in effect.
func (w *Wizard) Options() Options { return w.opts }

// Target is the disk chosen for installing, if any.
func (w *Wizard) Target() (installplan.Candidate, bool) {
	if w.target == nil {
		return installplan.Candidate{}, false
	}
	return *w.target, true
}

func (w *Wizard) goTo(screen string) {
	w.screen, w.cursor, w.note, w.input = screen, 0, "", nil
	if screen == ScreenDisks {
		w.cursor = w.firstChoice()
		if c, ok := w.chosen(); ok {
			if i := w.index(c); i >= 0 {
				w.cursor = i
			}
		}
	}
}

// chosen is the disk chosen last, for installing or for upgrading.
func (w *Wizard) chosen() (installplan.Candidate, bool) {
	switch {
	case w.target != nil:
		return *w.target, true
	case w.upgrading != nil:
		return w.upgrading.Disk, true
	}
	return installplan.Candidate{}, false
}

func (w *Wizard) firstChoice() int {
	for i, c := range w.cands {
		if c.Eligible {
			return i
		}
	}
	// No disk to install to: the one whose installation u upgrades,
	// which the welcome screen has just pointed at.
	for i, c := range w.cands {
		if in := w.installationOn(c); in != nil && in.Refused == "" {
			return i
		}
	}
	return 0
}

// index finds c in the current list by identity, not by kernel name
// alone: a different disk under the same name is not the same disk.
func (w *Wizard) index(c installplan.Candidate) int {
	for i, d := range w.cands {
		if sameDisk(d, c) {
			return i
		}
	}
	return -1
}

func sameDisk(a, b installplan.Candidate) bool {
	return a.Disk.Name == b.Disk.Name && a.Disk.Serial == b.Disk.Serial && a.Disk.WWN == b.Disk.WWN &&
		a.Disk.Size == b.Disk.Size && a.Disk.Model == b.Disk.Model
}

// Key handles one keypress.
func (w *Wizard) Key(k Key) Action {
	switch w.screen {
	case ScreenWelcome:
		return w.menuKey(k, welcomeMenu, func(i int) Action {
			switch i {
			case 0:
				if len(w.machine.Problems) > 0 {
					w.note = "This machine does not meet the minimums: " + strings.Join(w.machine.Problems, "; ")
					return nil
				}
				if w.machine.SecureBoot.Offer != nil {
					w.goTo(ScreenSecureBoot)
					return nil
				}
				w.goTo(ScreenDisks)
				return Rescan{}
			case 1:
				return PowerOff{}
			}
			return Reboot{}
		})
	case ScreenSecureBoot:
		return w.secureBootKey(k)
	case ScreenDisks:
		return w.disksKey(k)
	case ScreenAdvanced:
		return w.advancedKey(k)
	case ScreenConfirm:
		return w.confirmKey(k)
	case ScreenUpgrade:
		return w.upgradeKey(k)
	case ScreenDone:
		w.count = -1 // any key stops the countdown
		return w.menuKey(k, doneMenu, func(i int) Action {
			if i == 0 {
				return Reboot{}
			}
			return PowerOff{}
		})
	case ScreenFailed:
		return w.menuKey(k, failedMenu, func(i int) Action {
			switch i {
			case 0: // Retry: back to the confirmation: the id typed again, or an upgrade's Enter
				if w.upgrading != nil {
					w.goTo(ScreenUpgrade)
					return Rescan{}
				}
				if w.target == nil {
					w.goTo(ScreenDisks)
					return Rescan{}
				}
				w.goTo(ScreenConfirm)
				return Rescan{}
			case 1:
				w.goTo(ScreenDisks)
				return Rescan{}
			case 2:
				w.note = "Looking for a FAT-formatted USB stick..."
				return ExportLogs{}
			}
			return PowerOff{}
		})
	}
	return nil // progress: keys wait
}

type menuItem struct {
	label  string
	hotkey rune
}

var (
	welcomeMenu = []menuItem{{"Install", 'i'}, {"Power off", 'p'}, {"Reboot", 'r'}}
	doneMenu    = []menuItem{{"Reboot now", 'r'}, {"Power off", 'p'}}
	failedMenu  = []menuItem{{"Retry", 'r'}, {"Back to disks", 'b'}, {"Export logs", 'e'}, {"Power off", 'p'}}
)

func (w *Wizard) menuKey(k Key, items []menuItem, choose func(int) Action) Action {
	switch k.Kind {
	case KeyUp:
		w.cursor = (w.cursor + len(items) - 1) % len(items)
	case KeyDown, KeyTab:
		w.cursor = (w.cursor + 1) % len(items)
	case KeyEnter:
		return choose(w.cursor)
	case KeyRune:
		for i, it := range items {
			if toLower(k.Rune) == it.hotkey {
				w.cursor = i
				return choose(i)
			}
		}
	}
	return nil
}

func toLower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

func (w *Wizard) disksKey(k Key) Action {
	n := len(w.cands)
	switch {
	case k.Kind == KeyUp && n > 0:
		w.cursor = (w.cursor + n - 1) % n
		w.note = ""
	case (k.Kind == KeyDown || k.Kind == KeyTab) && n > 0:
		w.cursor = (w.cursor + 1) % n
		w.note = ""
	case k.Kind == KeyEsc || k.Kind == KeyRune && toLower(k.Rune) == 'b':
		w.goTo(ScreenWelcome)
	case k.Kind == KeyRune && toLower(k.Rune) == 'r':
		w.note = ""
		return Rescan{}
	case k.Kind == KeyRune && toLower(k.Rune) == 'u':
		w.chooseUpgrade()
	case k.Kind == KeyRune && toLower(k.Rune) == 'a':
		if c, ok := w.highlighted(); ok && c.Eligible {
			w.openAdvanced()
		} else {
			w.note = "Choose a disk that can be installed to first."
		}
	case k.Kind == KeyRune && k.Rune >= '1' && k.Rune <= '9' && int(k.Rune-'1') < n:
		w.cursor = int(k.Rune - '1')
		w.note = ""
	case k.Kind == KeyEnter:
		c, ok := w.highlighted()
		switch {
		case !ok:
			w.note = "No disks found. Connect a disk and press r to look again."
		case !c.Eligible:
			w.note = "This disk cannot be installed to: " + strings.Join(c.Reasons, "; ")
		default:
			if err := w.checkDataSize(c, w.opts.DataSize); err != "" {
				w.note = err + " Press a to change it."
				return nil
			}
			if missing := w.missingSettings(); len(missing) > 0 {
				w.note = needValues(missing) + ": press a to set them."
				return nil
			}
			w.target, w.upgrading = &c, nil
			w.goTo(ScreenConfirm)
		}
	}
	return nil
}

func (w *Wizard) highlighted() (installplan.Candidate, bool) {
	if w.cursor < 0 || w.cursor >= len(w.cands) {
		return installplan.Candidate{}, false
	}
	return w.cands[w.cursor], true
}

func (w *Wizard) confirmKey(k Key) Action {
	switch k.Kind {
	case KeyEsc:
		w.goTo(ScreenDisks)
	case KeyBackspace:
		if len(w.input) > 0 {
			w.input = w.input[:len(w.input)-1]
		}
	case KeyRune:
		if k.Rune > ' ' && k.Rune < 0x7f && len(w.input) < maxInput {
			w.input = append(w.input, k.Rune)
			w.note = ""
		}
	case KeyEnter:
		typed := strings.TrimSpace(string(w.input))
		w.input = nil
		c := *w.target
		if !confirms(c, typed) {
			if typed == "" {
				w.note = fmt.Sprintf("Type %s and press Enter to erase this disk, or Esc to go back.", c.ShortID)
			} else {
				w.note = fmt.Sprintf("%q is not this disk's id. Type %s, or Esc to go back. Nothing was written.", typed, c.ShortID)
			}
			return nil
		}
		w.progress = Progress{Step: step.Starting}
		w.goTo(ScreenProgress)
		opts := w.opts
		opts.Settings = maps.Clone(w.opts.Settings) // the install runs beside the wizard
		return StartInstall{Target: c, Typed: typed, Options: opts}
	}
	return nil
}

// confirms reports whether typed names c: its short id or its serial.
// Every disk needs it here, empty or not: the id is how people check
// they are looking at the disk they mean.
func confirms(c installplan.Candidate, typed string) bool {
	if typed == "" {
		return false
	}
	return strings.EqualFold(typed, c.ShortID) ||
		c.Disk.Serial != "" && strings.EqualFold(typed, strings.TrimSpace(c.Disk.Serial))
}

// SetDisks replaces the disk list (after Rescan). A chosen disk that is
// gone, changed or no longer eligible sends the user back to the list.
func (w *Wizard) SetDisks(cands []installplan.Candidate) {
	w.cands = cands
	if w.target != nil {
		i := w.index(*w.target)
		if i < 0 || !cands[i].Eligible {
			lost := w.target.Describe()
			w.target = nil
			if w.screen == ScreenConfirm {
				w.goTo(ScreenDisks)
				w.note = "The chosen disk " + lost + " changed or disappeared; choose again."
			}
		} else {
			c := cands[i]
			w.target = &c
		}
	}
	if w.screen == ScreenDisks && (w.cursor >= len(cands) || w.cursor < 0) {
		w.cursor = w.firstChoice()
	}
}

// SetProgress updates the progress screen.
func (w *Wizard) SetProgress(p Progress) {
	if w.screen == ScreenProgress {
		w.progress = p
	}
}

// Finished ends the progress screen with the install's or the
// upgrade's outcome.
func (w *Wizard) Finished(r Result, f *Failure) {
	if f != nil {
		w.failure = *f
		w.goTo(ScreenFailed)
		return
	}
	w.result = r
	w.goTo(ScreenDone)
	w.count = DoneCountdown
}

// Exported reports the outcome of ExportLogs.
func (w *Wizard) Exported(where string, err error) {
	if err != nil {
		w.note = "Export logs: " + err.Error()
		return
	}
	w.exported = where
	w.note = "Logs written to " + where + ". You can remove the stick."
}

// alertPrefix starts a note that shows a kernel error.
const alertPrefix = "Kernel error: "

// Alert shows a kernel error on the current screen: the screens keep
// the text console, where the kernel would print it, hidden. It does
// not replace a note about what the user just did, which matters more.
func (w *Wizard) Alert(text string) {
	if w.note == "" || strings.HasPrefix(w.note, alertPrefix) {
		w.note = alertPrefix + text
	}
}

// Tick is called once a second; on the finish screen it counts down and
// then reboots.
func (w *Wizard) Tick() Action {
	if w.screen != ScreenDone || w.count < 0 {
		return nil
	}
	w.count--
	if w.count <= 0 {
		w.count = -1
		return Reboot{}
	}
	return nil
}
