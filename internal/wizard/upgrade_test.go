package wizard

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/view"
)

// acme is the installer's product and version in these tests.
func acme() Machine { return Machine{Product: "Acme DB", Version: "1.1"} }

// notNewer is how the upgrade refuses an installation of the
// installer's own version.
const notNewer = "upgrade: disk [345678] Fast NVMe, 549.8 GB, serial NV12345678 (nvme, nvme0n1) already runs Acme DB 1.1: nothing to upgrade"

// installedOn is an installation of version on cands()[i].
func installedOn(i int, version, refused string) Installation {
	return Installation{Disk: cands()[i], Version: version, Hostname: "db-01", Refused: refused}
}

// upgradeWizard is a wizard whose disks hold ins.
func upgradeWizard(m Machine, ins ...Installation) *Wizard {
	w := New(m, cands(), maxData)
	w.SetInstallations(ins)
	return w
}

func TestUpgradeDiskList(t *testing.T) {
	tooSmall := installedOn(2, "1.0", "")
	tooSmall.Disk.Eligible, tooSmall.Disk.Reasons = false, []string{"smaller than the 16 GiB minimum"}
	tests := []struct {
		name  string
		ins   []Installation
		fix   func(c []installplan.Candidate) // the disks as install.Discover sees them
		keys  string
		row   int    // the row checked
		text  string // the row's text after the disk's description
		style view.Style
		hint  bool // the key help offers u upgrade
	}{
		{"no installation: as before", nil, nil, "\n", 1, "  - holds 1 partition(s): gpt", view.Normal, false},
		{"our installation", []Installation{installedOn(1, "1.0", "")}, nil, "\n", 1, "  - holds Acme DB 1.0, host db-01", view.Normal, true},
		{"without hostname", []Installation{{Disk: cands()[1], Version: "1.0"}}, nil, "\n", 1, "  - holds Acme DB 1.0", view.Normal, true},
		{"not newer: listed, key offered", []Installation{installedOn(1, "1.1", notNewer)}, nil, "\n", 1, "  - holds Acme DB 1.1, host db-01", view.Normal, true},
		{"another disk highlighted: no key", []Installation{installedOn(1, "1.0", "")}, nil, "\n3", 2, "  - empty", view.Normal, false},
		{"the boot medium: as before", []Installation{installedOn(1, "1.0", "")}, nil, "\n1", 0, "  - not usable: boot medium", view.Dim, false},
		{"too small for an install, upgradable", []Installation{tooSmall},
			func(c []installplan.Candidate) { c[2].Eligible, c[2].Reasons = false, tooSmall.Disk.Reasons },
			"\n3", 2, "  - holds Acme DB 1.0, host db-01; cannot be installed to: smaller than the 16 GiB minimum", view.Normal, true},
		{"nothing to install to: the cursor starts on the upgradable disk", []Installation{tooSmall},
			func(c []installplan.Candidate) {
				for i := range c {
					c[i].Eligible, c[i].Reasons = false, tooSmall.Disk.Reasons
				}
			},
			"\n", 2, "  - holds Acme DB 1.0, host db-01; cannot be installed to: smaller than the 16 GiB minimum", view.Normal, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := upgradeWizard(acme(), tt.ins...)
			if tt.fix != nil {
				cs := cands()
				tt.fix(cs)
				w.SetDisks(cs)
			}
			press(w, tt.keys)
			v := w.View()
			l := v.Body[tt.row]
			want := fmt.Sprintf("%d %s%s", tt.row+1, cands()[tt.row].Describe(), tt.text)
			if l.Text != want || l.Style != tt.style || !l.Selected {
				t.Errorf("row %q (style %d, selected %v), want %q (style %d, selected)", l.Text, l.Style, l.Selected, want, tt.style)
			}
			if got := strings.Contains(v.Hint, "u upgrade"); got != tt.hint {
				t.Errorf("hint %q: offers u upgrade %v, want %v", v.Hint, got, tt.hint)
			}
		})
	}
}

func TestUpgradeKeys(t *testing.T) {
	ours := installedOn(1, "1.0", "")
	tests := []struct {
		name   string
		m      Machine
		ins    []Installation
		keys   string
		screen string
		action string // typeName of the last action; "" none
		note   string // the whole note
	}{
		{"u opens the upgrade screen", acme(), []Installation{ours}, "\nu", ScreenUpgrade, "rescan", ""},
		{"Enter starts the upgrade", acme(), []Installation{ours}, "\nu\n", ScreenProgress, "upgrade", ""},
		{"no id to type: letters do nothing", acme(), []Installation{ours}, "\nu345678", ScreenUpgrade, "rescan", ""},
		{"Esc goes back", acme(), []Installation{ours}, "\nu~", ScreenDisks, "rescan", ""},
		{"u on a disk without one does nothing", acme(), []Installation{ours}, "\n3u", ScreenDisks, "rescan", ""},
		{"u without any installation does nothing", acme(), nil, "\nu", ScreenDisks, "rescan", ""},
		{"u on the boot medium does nothing", acme(), []Installation{ours}, "\n1u", ScreenDisks, "rescan", ""},
		{"not newer: refused with the upgrade's reason", acme(), []Installation{installedOn(1, "1.1", notNewer)}, "\nu", ScreenDisks, "rescan", notNewer},
		{"Enter on it still erases, with the id", acme(), []Installation{ours}, "\n\n345678\n", ScreenProgress, "start", ""},
		{"settings without value do not block an upgrade", settingsMachine(), []Installation{ours}, "\nu\n", ScreenProgress, "upgrade", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := upgradeWizard(tt.m, tt.ins...)
			a := press(w, tt.keys)
			got := ""
			if a != nil {
				got = typeName(a)
				if _, ok := a.(StartUpgrade); ok {
					got = "upgrade"
				}
			}
			if w.Screen() != tt.screen || got != tt.action || w.note != tt.note {
				t.Errorf("screen %s, action %q, note %q; want %s, %q, %q", w.Screen(), got, w.note, tt.screen, tt.action, tt.note)
			}
		})
	}
}

func TestStartUpgradeCarriesTarget(t *testing.T) {
	legacy := installedOn(1, "1.0", "")
	legacy.Legacy = true
	w := upgradeWizard(acme(), installedOn(2, "0.9", ""), legacy)
	a := press(w, "\navdb-02\n2u\n") // advanced options saved before: no part of it
	s, ok := a.(StartUpgrade)
	if !ok || !reflect.DeepEqual(s, StartUpgrade{Target: legacy}) {
		t.Fatalf("action %#v, want StartUpgrade of %+v", a, legacy)
	}
	if _, ok := w.Target(); ok {
		t.Error("an upgrade left a disk chosen for installing")
	}
}

func TestUpgradeScreen(t *testing.T) {
	head := []string{
		"[345678] Fast NVMe, 549.8 GB, serial NV12345678 (nvme, nvme0n1)",
		"It holds Acme DB 1.0, host db-01.",
		"Acme DB 1.0 on nvme0n1 becomes 1.1. Its data, hostname and settings are kept.",
		"The machine then boots 1.1 once and keeps it if its services are healthy; otherwise it goes back to 1.0 by itself.",
	}
	tail := []string{"", "Nothing is erased. Press Enter to upgrade, or Esc to go back."}
	join := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	legacy := installedOn(1, "1.0", "")
	legacy.Legacy = true
	tests := []struct {
		name string
		in   Installation
		keys string // before u
		want []string
	}{
		{"slots", installedOn(1, "1.0", ""), "\n", join(head, tail)},
		{"legacy layout", legacy, "\n", join(head, []string{"Its disk has the layout from before A/B slots: it is converted first, 1.0 becoming slot A."}, tail)},
		{"advanced options set", installedOn(1, "1.0", ""), "\navdb-02\n",
			join(head, []string{"The advanced options are for a new install: the upgrade keeps the installation's."}, tail)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := upgradeWizard(acme(), tt.in)
			press(w, tt.keys+"u")
			v := w.View()
			if got := bodyText(v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if v.Screen != ScreenUpgrade || v.Heading != "Upgrade, keep data?" || v.Hint != "Enter upgrade  Esc back" || len(v.Fields) != 0 {
				t.Errorf("view %+v", v)
			}
		})
	}
}

// The erase confirmation of a disk holding the product says so, and
// how to keep its data instead.
func TestEraseConfirmMentionsInstallation(t *testing.T) {
	for _, tt := range []struct {
		in   []Installation
		want string // "" no such line
	}{
		{nil, ""},
		{[]Installation{installedOn(1, "1.0", "")}, "It holds Acme DB 1.0, host db-01. To keep its data, press Esc and then u to upgrade it instead."},
		{[]Installation{installedOn(1, "1.1", notNewer)}, "It holds Acme DB 1.1, host db-01."},
	} {
		w := upgradeWizard(acme(), tt.in...)
		press(w, "\n\n")
		var got string
		for _, l := range w.View().Body {
			if strings.HasPrefix(l.Text, "It holds") {
				got = l.Text
			}
		}
		if w.Screen() != ScreenConfirm || got != tt.want {
			t.Errorf("%v: screen %s line %q, want %q", tt.in, w.Screen(), got, tt.want)
		}
	}
}

func TestUpgradeProgressAndDone(t *testing.T) {
	w := upgradeWizard(acme(), installedOn(1, "1.0", ""))
	press(w, "\nu\n")
	w.SetProgress(Progress{Step: step.FormatESP, Percent: 40, Bytes: 3 << 20, Total: 12 << 20})
	v := w.View()
	if v.Heading != "Upgrading" || v.Bar == nil || v.Bar.Label != "Writing the new version into its slot, 3.0 MiB of 12.0 MiB written" ||
		!strings.Contains(bodyText(v)[0], "Acme DB 1.0 on [345678]") {
		t.Errorf("progress view %+v bar %+v", v, v.Bar)
	}
	w.SetProgress(Progress{Step: step.BootEntry, Percent: 80})
	if l := w.View().Bar.Label; l != "Arming the trial boot" {
		t.Errorf("boot-entry label %q", l)
	}
	w.Finished(Result{Disk: "Fast NVMe (nvme0n1)", BootEntry: "Boot0004", Slot: "B", Duration: 3 * time.Second}, nil)
	v = w.View()
	want := []string{
		"Acme DB on Fast NVMe (nvme0n1) is upgraded from 1.0 to 1.1.",
		"At the next start it boots 1.1 once (slot B, boot entry Boot0004) and keeps it if its services are healthy; otherwise it goes back to 1.0 by itself.",
		"Took 3s.",
		"Remove the installer medium.",
		"Rebooting in 10 s (press any key to stay).",
	}
	if got := bodyText(v); v.Heading != "Upgraded" || !reflect.DeepEqual(got, want) {
		t.Errorf("done %q\n%s", v.Heading, strings.Join(got, "\n"))
	}
	for _, l := range bodyText(v) {
		if strings.Contains(l, "installed on") {
			t.Errorf("the finish screen of an upgrade says %q", l)
		}
	}
	if ev := screenEvent(t, w); ev["screen"] != ScreenDone {
		t.Errorf("event %v", ev)
	}
}

func TestUpgradeFailure(t *testing.T) {
	tests := []struct {
		name  string
		wrote bool
		want  string
	}{
		{"nothing written", false, "Nothing was written to [345678] Fast NVMe, 549.8 GB, serial NV12345678 (nvme, nvme0n1)."},
		{"ESP written", true, "The EFI system partition of [345678] Fast NVMe, 549.8 GB, serial NV12345678 (nvme, nvme0n1) was written to; " +
			"Acme DB 1.0 and its data stay installed, and the machine comes back to it."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := upgradeWizard(acme(), installedOn(1, "1.0", ""))
			press(w, "\nu\n")
			w.Finished(Result{}, &Failure{Code: "upgrade-write", Message: "upgrade: write 1.1 into slot B: no space", Wrote: tt.wrote})
			v := w.View()
			if got := bodyText(v); v.Heading != "Upgrade failed" || !reflect.DeepEqual(got[2:], []string{tt.want,
				"Retry asks to confirm the upgrade again. Export logs writes them to a FAT USB stick."}) {
				t.Errorf("failed %q\n%s", v.Heading, strings.Join(got, "\n"))
			}
			if a := press(w, "r"); typeName(a) != "rescan" || w.Screen() != ScreenUpgrade {
				t.Fatalf("retry: action %#v screen %s", a, w.Screen())
			}
			w.SetDisks(cands())
			w.SetInstallations([]Installation{installedOn(1, "1.0", "")})
			if _, ok := press(w, "\n").(StartUpgrade); !ok || w.Screen() != ScreenProgress {
				t.Errorf("retry did not upgrade again: screen %s", w.Screen())
			}
		})
	}
}

// The installation looked at again after Rescan decides whether the
// upgrade screen stays.
func TestSetInstallationsOnUpgradeScreen(t *testing.T) {
	pending := "upgrade: disk [345678] Fast NVMe, 549.8 GB, serial NV12345678 (nvme, nvme0n1) has Acme DB 1.1 staged in slot B for a trial boot that has not ended: boot the installed system once so that it commits or rolls back, then upgrade"
	changedDisk := installedOn(1, "1.0", "")
	changedDisk.Disk.Disk.Serial = "OTHER"
	tests := []struct {
		name   string
		now    []Installation
		screen string
		note   string // substring
	}{
		{"unchanged", []Installation{installedOn(1, "1.0", "")}, ScreenUpgrade, ""},
		{"gone", nil, ScreenDisks, "changed or no longer holds Acme DB; choose again"},
		{"another disk under the name", []Installation{changedDisk}, ScreenDisks, "changed or no longer holds Acme DB"},
		{"another version", []Installation{installedOn(1, "1.0.1", "")}, ScreenDisks, "changed or no longer holds Acme DB"},
		{"now refused", []Installation{installedOn(1, "1.0", pending)}, ScreenDisks, pending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := upgradeWizard(acme(), installedOn(1, "1.0", ""))
			press(w, "\nu")
			w.SetInstallations(tt.now)
			if w.Screen() != tt.screen || !strings.Contains(w.note, tt.note) {
				t.Errorf("screen %s note %q, want %s and %q", w.Screen(), w.note, tt.screen, tt.note)
			}
			if tt.screen == ScreenDisks && w.cursor != 1 {
				t.Errorf("cursor on row %d, want the disk chosen (1)", w.cursor)
			}
		})
	}
}

func TestUpgradeWelcomeAndEvent(t *testing.T) {
	w := upgradeWizard(acme(), installedOn(1, "1.0", ""), installedOn(2, "1.1", notNewer))
	body := bodyText(w.View())
	for _, want := range []string{
		"Found   Acme DB 1.0, host db-01 on nvme0n1: choose Install, then u on its disk to upgrade it to 1.1 and keep its data.",
		"Found   Acme DB 1.1, host db-01 on vda",
	} {
		if !contains(body, want) {
			t.Errorf("welcome lacks %q:\n%s", want, strings.Join(body, "\n"))
		}
	}
	if got := bodyText(New(acme(), cands(), maxData).View()); len(got) != len(body)-2 {
		t.Errorf("without installations the welcome screen has %d lines, want %d", len(got), len(body)-2)
	}
	press(w, "\nu")
	line, err := event.Format(w.Event())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(line[len(event.Prefix) : len(line)-1]); got != `{"event":"screen","screen":"upgrade"}` {
		t.Errorf("upgrade screen event %s", got)
	}
	screenEvent(t, w)
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
