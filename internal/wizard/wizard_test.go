package wizard

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/view"
)

func cands() []installplan.Candidate {
	return []installplan.Candidate{
		{Disk: disk.Disk{Name: "sda", Model: "USB Stick", Serial: "USB0001", Size: 16 << 30, Transport: "usb"},
			ShortID: "b0001", Eligible: false, Reasons: []string{"boot medium"}},
		{Disk: disk.Disk{Name: "nvme0n1", Model: "Fast NVMe", Serial: "NV12345678", Size: 512 << 30, Transport: "nvme", Partitions: []string{"nvme0n1p1"}},
			ShortID: "345678", Eligible: true, HasData: true, Signatures: []string{"gpt"}},
		{Disk: disk.Disk{Name: "vda", Model: "Virtio", Serial: "VIRT0042", Size: 8 << 30, Transport: "virtio"},
			ShortID: "rt0042", Eligible: true},
	}
}

func maxData(c installplan.Candidate) (int64, error) { return c.Disk.Size - 1<<30, nil }

func keySeq(s string) []Key {
	var out []Key
	for _, r := range s {
		switch r {
		case '\n':
			out = append(out, Key{Kind: KeyEnter})
		case '^':
			out = append(out, Key{Kind: KeyUp})
		case 'v':
			out = append(out, Key{Kind: KeyDown})
		case '<':
			out = append(out, Key{Kind: KeyBackspace})
		case '~':
			out = append(out, Key{Kind: KeyEsc})
		default:
			out = append(out, Key{Kind: KeyRune, Rune: r})
		}
	}
	return out
}

// press sends keys and returns the last non-nil action.
func press(w *Wizard, s string) Action {
	var last Action
	for _, k := range keySeq(s) {
		if a := w.Key(k); a != nil {
			last = a
		}
	}
	return last
}

func TestFlows(t *testing.T) {
	tests := []struct {
		name       string
		keys       string
		wantScreen string
		wantAction Action // nil: no action expected from the last key with one
		wantNote   string // substring
	}{
		{"welcome install goes to disks", "\n", ScreenDisks, Rescan{}, ""},
		{"hotkey power off", "p", ScreenWelcome, PowerOff{}, ""},
		{"menu down down enter reboots", "vv\n", ScreenWelcome, Reboot{}, ""},
		{"first eligible disk preselected, enter confirms screen", "\n\n", ScreenConfirm, Rescan{}, ""},
		{"boot medium cannot be chosen", "\n1\n", ScreenDisks, Rescan{}, "boot medium"},
		{"empty typed id refused", "\n\n\n", ScreenConfirm, Rescan{}, "Type 345678"},
		{"wrong id refused, nothing written", "\n\nabc\n", ScreenConfirm, Rescan{}, "not this disk's id"},
		{"right id starts", "\n\n345678\n", ScreenProgress, StartInstall{}, ""},
		{"serial confirms too, any case", "\n\nNV12345678\n", ScreenProgress, StartInstall{}, ""},
		{"id of another disk refused", "\n\nrt0042\n", ScreenConfirm, Rescan{}, "not this disk's id"},
		{"backspace edits", "\n\n3456789<\n", ScreenProgress, StartInstall{}, ""},
		{"esc from confirm goes back", "\n\n~", ScreenDisks, Rescan{}, ""},
		{"third disk by number", "\n3\nrt0042\n", ScreenProgress, StartInstall{}, ""},
		{"advanced needs an eligible disk", "\n1a", ScreenDisks, Rescan{}, "first"},
		{"advanced bad size", "\nasize\n", ScreenAdvanced, Rescan{}, "Data partition size"},
		{"advanced too big", "\na600GiB\n", ScreenAdvanced, Rescan{}, "does not fit"},
		{"advanced bad hostname", "\na20GiBv-bad-\n", ScreenAdvanced, Rescan{}, "Hostname"},
		{"advanced saved", "\na20GiBvdb-01\n", ScreenDisks, Rescan{}, "saved"},
		{"esc from disks", "\n~", ScreenWelcome, Rescan{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(Machine{Product: "Plinth", Version: "1.0"}, cands(), maxData)
			got := press(w, tt.keys)
			if w.Screen() != tt.wantScreen {
				t.Errorf("screen %q, want %q (note %q)", w.Screen(), tt.wantScreen, w.note)
			}
			if (got == nil) != (tt.wantAction == nil) || got != nil && typeName(got) != typeName(tt.wantAction) {
				t.Errorf("last action %#v, want a %T", got, tt.wantAction)
			}
			if !strings.Contains(w.note, tt.wantNote) {
				t.Errorf("note %q, want it to contain %q", w.note, tt.wantNote)
			}
			// Every screen renders without panicking and names itself.
			if v := w.View(); v.Screen != w.Screen() || v.Heading == "" {
				t.Errorf("view %+v", v)
			}
		})
	}
}

func typeName(a Action) string {
	switch a.(type) {
	case StartInstall:
		return "start"
	case Rescan:
		return "rescan"
	case PowerOff:
		return "poweroff"
	case Reboot:
		return "reboot"
	case ExportLogs:
		return "export"
	}
	return "?"
}

func TestStartInstallCarriesChoice(t *testing.T) {
	w := New(Machine{}, cands(), maxData)
	a := press(w, "\na5GiBvdb-01\nv\nrt0042\n")
	s, ok := a.(StartInstall)
	if !ok {
		t.Fatalf("action %#v, want StartInstall (screen %s, note %q)", a, w.Screen(), w.note)
	}
	if s.Target.Disk.Name != "vda" || s.Typed != "rt0042" ||
		!reflect.DeepEqual(s.Options, Options{Hostname: "db-01", DataSize: 5 << 30, Settings: map[string]setting.Value{}, MicrosoftKeys: true}) {
		t.Errorf("got %+v", s)
	}
}

func TestMachineTooSmallRefusesInstall(t *testing.T) {
	w := New(Machine{Problems: []string{"memory 256 MiB < 512 MiB minimum"}}, cands(), nil)
	if a := press(w, "\n"); a != nil || w.Screen() != ScreenWelcome || !strings.Contains(w.note, "256 MiB") {
		t.Fatalf("action %v screen %s note %q", a, w.Screen(), w.note)
	}
}

func TestFailureRetryNeedsConfirmationAgain(t *testing.T) {
	w := New(Machine{}, cands(), nil)
	press(w, "\n\n345678\n")
	w.SetProgress(Progress{Step: "format-esp", Percent: 30, Bytes: 3 << 20, Total: 14 << 20})
	if bar := w.View().Bar; bar == nil || bar.Percent != 30 || !strings.Contains(bar.Label, "3.0 MiB of 14.0 MiB") {
		t.Fatalf("bar %+v", bar)
	}
	w.Finished(Result{}, &Failure{Code: "install-write", Message: "write failed", Wrote: true})
	if w.Screen() != ScreenFailed || !strings.Contains(strings.Join(bodyText(w.View()), "\n"), "partly written") {
		t.Fatalf("screen %s view %+v", w.Screen(), w.View())
	}
	a := press(w, "\n") // Retry
	if _, ok := a.(Rescan); !ok || w.Screen() != ScreenConfirm {
		t.Fatalf("retry: action %#v screen %s", a, w.Screen())
	}
	w.SetDisks(cands())
	// Enter alone must not start anything.
	if a := press(w, "\n"); a != nil {
		t.Fatalf("enter without the id: %#v", a)
	}
	if _, ok := press(w, "345678\n").(StartInstall); !ok {
		t.Fatal("typed id did not restart the install")
	}
}

func TestFailureMenu(t *testing.T) {
	tests := []struct {
		keys   string
		screen string
		action string
	}{
		{"b", ScreenDisks, "rescan"},
		{"vv\n", ScreenFailed, "export"},
		{"e", ScreenFailed, "export"},
		{"p", ScreenFailed, "poweroff"},
		{"^\n", ScreenFailed, "poweroff"},
	}
	for _, tt := range tests {
		w := New(Machine{}, cands(), nil)
		w.Finished(Result{}, &Failure{Code: "answers-invalid", Message: "install.yaml:3: field \"wipe\": want true or false"})
		a := press(w, tt.keys)
		if w.Screen() != tt.screen || a == nil || typeName(a) != tt.action {
			t.Errorf("%q: screen %s action %#v", tt.keys, w.Screen(), a)
		}
	}
	w := New(Machine{}, cands(), nil)
	w.Finished(Result{}, &Failure{Message: "x"})
	w.Exported("", errors.New("no FAT-formatted USB stick found: plug one in and choose Export logs again"))
	if !strings.Contains(w.View().Note, "plug one in") {
		t.Errorf("note %q", w.View().Note)
	}
	w.Exported("/plinth-logs-1.tar.gz on USB stick", nil)
	if ev := screenEvent(t, w); ev["exported"] != "/plinth-logs-1.tar.gz on USB stick" {
		t.Errorf("event %v", ev)
	}
}

func TestDiskVanishesBeforeInstall(t *testing.T) {
	w := New(Machine{}, cands(), nil)
	press(w, "\n\n")
	changed := cands()
	changed[1].Disk.Serial = "OTHER" // another disk under the same name
	w.SetDisks(changed)
	if w.Screen() != ScreenDisks || !strings.Contains(w.note, "changed or disappeared") {
		t.Fatalf("screen %s note %q", w.Screen(), w.note)
	}
}

func TestDoneCountdownAndKeyStopsIt(t *testing.T) {
	w := New(Machine{}, cands(), nil)
	press(w, "\n\n345678\n")
	w.Finished(Result{Disk: "Fast NVMe", BootEntry: "Boot0003", Duration: 3 * time.Second}, nil)
	var got Action
	for i := 0; i < DoneCountdown; i++ {
		got = w.Tick()
	}
	if _, ok := got.(Reboot); !ok {
		t.Fatalf("after %d ticks: %#v", DoneCountdown, got)
	}
	w = New(Machine{}, cands(), nil)
	press(w, "\n\n345678\n")
	w.Finished(Result{}, nil)
	w.Tick()
	press(w, "v")
	for i := 0; i < 2*DoneCountdown; i++ {
		if a := w.Tick(); a != nil {
			t.Fatalf("countdown not stopped: %#v", a)
		}
	}
	if _, ok := press(w, "\n").(PowerOff); !ok {
		t.Fatal("done menu: second item should power off")
	}
}

func bodyText(v view.View) []string {
	var out []string
	for _, l := range v.Body {
		out = append(out, l.Text)
	}
	return out
}

func TestAlertShowsOnAnyScreen(t *testing.T) {
	w := New(Machine{}, cands(), nil)
	press(w, "\n")
	w.Alert("nvme nvme0: I/O 12 QID 1 timeout")
	if v := w.View(); v.Screen != ScreenDisks || !strings.Contains(v.Note, "Kernel error: nvme nvme0") {
		t.Errorf("view %s note %q", v.Screen, v.Note)
	}
	if ev := screenEvent(t, w); !strings.Contains(ev["note"].(string), "I/O 12") {
		t.Errorf("event %v", ev)
	}
	w.Alert("a second error")
	if !strings.Contains(w.View().Note, "a second error") {
		t.Errorf("a newer kernel error did not replace the older: %q", w.View().Note)
	}
	// A note about the user's action stays.
	press(w, "\nwrong\n")
	w.Alert("a third error")
	if note := w.View().Note; !strings.Contains(note, "not this disk's id") {
		t.Errorf("the kernel error replaced the user's note: %q", note)
	}
}
