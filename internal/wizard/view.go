package wizard

import (
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/disk"
)

// Style says how a line is meant to look; each renderer maps it to its
// colours.
type Style int

// Styles.
const (
	Normal Style = iota
	Dim          // not selectable, secondary
	Strong       // headings, what matters on the line
	Warn         // destructive or unmet
	Good         // success
)

// Line is one line of a screen's body.
type Line struct {
	Text     string
	Style    Style
	Selected bool // the row the cursor is on
}

// Field is a text input.
type Field struct {
	Label  string
	Value  string
	Active bool
}

// Bar is a progress bar.
type Bar struct {
	Percent int
	Label   string // step, bytes
}

// View is everything a renderer draws for the current screen.
type View struct {
	Screen  string
	Title   string // product, version
	Heading string
	Body    []Line
	Fields  []Field
	Bar     *Bar
	Menu    []string
	Cursor  int // selected menu item; -1 none
	Note    string
	Hint    string // keys
}

// View describes the current screen.
func (w *Wizard) View() View {
	v := View{Screen: w.screen, Title: fmt.Sprintf("%s %s installer", w.machine.Product, w.machine.Version), Note: w.note, Cursor: -1}
	switch w.screen {
	case ScreenWelcome:
		v.Heading = "Welcome"
		v.Body = append(v.Body,
			Line{Text: fmt.Sprintf("This installs %s %s onto a disk of this machine.", w.machine.Product, w.machine.Version)},
			Line{},
			Line{Text: fmt.Sprintf("CPU     %d x %s", w.machine.CPUs, w.machine.CPUModel)},
			Line{Text: "Memory  " + disk.HumanSize(w.machine.Memory)},
		)
		eligible := 0
		for _, c := range w.cands {
			if c.Eligible {
				eligible++
			}
		}
		v.Body = append(v.Body, Line{Text: fmt.Sprintf("Disks   %d found, %d can be installed to", len(w.cands), eligible)})
		for _, p := range w.machine.Problems {
			v.Body = append(v.Body, Line{Text: "Not enough: " + p, Style: Warn})
		}
		v.Menu, v.Cursor = labels(welcomeMenu), w.cursor
		v.Hint = "Up/Down choose  Enter select  i install  p power off  r reboot"
	case ScreenDisks:
		v.Heading = "Choose the disk to install to"
		if len(w.cands) == 0 {
			v.Body = append(v.Body, Line{Text: "No disks found.", Style: Warn})
		}
		for i, c := range w.cands {
			l := Line{Text: fmt.Sprintf("%d %s", i+1, c.Describe()), Selected: i == w.cursor}
			switch {
			case !c.Eligible:
				l.Style = Dim
				l.Text += "  - not usable: " + strings.Join(c.Reasons, "; ")
			case c.HasData:
				l.Text += "  - holds " + c.DataSummary()
			default:
				l.Text += "  - empty"
			}
			v.Body = append(v.Body, l)
		}
		v.Body = append(v.Body, Line{}, Line{Text: "Options: " + w.optionsSummary(), Style: Dim})
		v.Hint = "Up/Down choose  Enter select  a advanced  r rescan  Esc back"
	case ScreenAdvanced:
		v.Heading = "Advanced options"
		if c, ok := w.highlighted(); ok {
			v.Body = append(v.Body, Line{Text: "For disk " + c.Describe(), Style: Dim})
		}
		v.Body = append(v.Body, Line{Text: "Data partition size: empty or \"rest\" for the rest of the disk, or e.g. 20GiB."},
			Line{Text: "Hostname: empty derives one from the machine."})
		v.Fields = []Field{
			{Label: "Data partition size", Value: string(w.edit[0]), Active: w.field == 0},
			{Label: "Hostname", Value: string(w.edit[1]), Active: w.field == 1},
		}
		v.Hint = "Up/Down field  type to edit  Enter save  Esc cancel"
	case ScreenConfirm:
		c := *w.target
		v.Heading = "Erase this disk?"
		v.Body = append(v.Body, Line{Text: c.Describe(), Style: Strong})
		if c.HasData {
			v.Body = append(v.Body, Line{Text: "Everything on it is destroyed: " + c.DataSummary() + ".", Style: Warn})
		} else {
			v.Body = append(v.Body, Line{Text: "The disk looks empty; it is partitioned and formatted anew."})
		}
		v.Body = append(v.Body,
			Line{Text: fmt.Sprintf("New layout: EFI system partition 512 MiB, data partition %s.", w.dataText())},
			Line{Text: "Hostname: " + orDefault(w.opts.Hostname, "derived from the machine")},
			Line{},
			Line{Text: fmt.Sprintf("To go ahead, type the disk's id %s (or its serial) and press Enter.", c.ShortID), Style: Strong})
		v.Fields = []Field{{Label: "Disk id", Value: string(w.input), Active: true}}
		v.Hint = "type the id  Enter erase and install  Esc back"
	case ScreenProgress:
		v.Heading = "Installing"
		if w.target != nil {
			v.Body = append(v.Body, Line{Text: "onto " + w.target.Describe()})
		}
		p := w.progress
		label := StepText(p.Step)
		if p.Bytes > 0 {
			if p.Total > 0 {
				label += fmt.Sprintf(", %s of %s written", mib(p.Bytes), mib(p.Total))
			} else {
				label += fmt.Sprintf(", %s written", mib(p.Bytes))
			}
		}
		v.Bar = &Bar{Percent: p.Percent, Label: label}
		v.Hint = "Please wait; do not remove any disk."
	case ScreenDone:
		v.Heading = "Installed"
		v.Body = append(v.Body,
			Line{Text: fmt.Sprintf("%s %s is installed on %s.", w.machine.Product, w.machine.Version, w.result.Disk), Style: Good},
			Line{Text: fmt.Sprintf("Boot entry %s, took %s.", w.result.BootEntry, w.result.Duration.Round(100*1e6))},
			Line{Text: "Remove the installer medium."})
		if w.count > 0 {
			v.Body = append(v.Body, Line{Text: fmt.Sprintf("Rebooting in %d s (press any key to stay).", w.count)})
		}
		v.Menu, v.Cursor = labels(doneMenu), w.cursor
		v.Hint = "Enter select  r reboot  p power off"
	case ScreenFailed:
		v.Heading = "Installation failed"
		f := w.failure
		v.Body = append(v.Body, Line{Text: f.Message, Style: Warn})
		if f.Code != "" {
			v.Body = append(v.Body, Line{Text: "Code: " + f.Code, Style: Dim})
		}
		if w.target != nil {
			if f.Wrote {
				v.Body = append(v.Body, Line{Text: "The disk " + w.target.Describe() + " was partly written; it does not boot as it is."})
			} else {
				v.Body = append(v.Body, Line{Text: "Nothing was written to " + w.target.Describe() + "."})
			}
		}
		v.Body = append(v.Body, Line{Text: "Retry asks for the disk's id again. Export logs writes them to a FAT USB stick."})
		v.Menu, v.Cursor = labels(failedMenu), w.cursor
		v.Hint = "Up/Down choose  Enter select  r retry  b back  e export logs  p power off"
	}
	return v
}

// Event is the screen's summary for the "screen" event, so automation
// can follow and drive the interactive flow.
func (w *Wizard) Event() map[string]any {
	ev := map[string]any{"screen": w.screen}
	if w.note != "" {
		ev["note"] = w.note
	}
	switch w.screen {
	case ScreenDisks:
		var ds []map[string]any
		for i, c := range w.cands {
			ds = append(ds, map[string]any{"shortId": c.ShortID, "name": c.Disk.Name, "serial": c.Disk.Serial,
				"eligible": c.Eligible, "hasData": c.HasData, "selected": i == w.cursor})
		}
		ev["disks"] = ds
	case ScreenConfirm:
		ev["shortId"], ev["disk"], ev["hasData"] = w.target.ShortID, w.target.Disk.Name, w.target.HasData
		ev["typed"] = len(w.input) // how much, not what: enough to follow typing
	case ScreenAdvanced:
		ev["dataSize"], ev["hostname"] = string(w.edit[0]), string(w.edit[1])
	case ScreenFailed:
		ev["code"], ev["message"], ev["wrote"] = w.failure.Code, w.failure.Message, w.failure.Wrote
	}
	if w.exported != "" {
		ev["exported"] = w.exported
	}
	return ev
}

// StepText names an install step for people.
func StepText(step string) string {
	if t, ok := map[string]string{
		"starting":    "Starting",
		"check":       "Checking the installer's payload",
		"discover":    "Looking at the disks",
		"plan":        "Planning the layout",
		"format-esp":  "Writing the EFI system partition",
		"format-data": "Formatting the data partition",
		"partition":   "Writing the partition table",
		"sync":        "Flushing to disk",
		"boot-entry":  "Creating the boot entry",
		"verify":      "Verifying what was written",
		"done":        "Done",
	}[step]; ok {
		return t
	}
	return step
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
