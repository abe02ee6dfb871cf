package wizard

import (
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/secureboot"
)

func offer() *EnrollOffer {
	writes := func(db, kek []string) []sbenroll.Write {
		return []sbenroll.Write{
			{Variable: "db", Append: true, Certificates: db},
			{Variable: "KEK", Append: true, Certificates: kek},
			{Variable: "PK", Certificates: []string{"Acme PK"}},
		}
	}
	return &EnrollOffer{
		WithMicrosoft: sbenroll.Decision{Enroll: true, MicrosoftKeys: true,
			Writes: writes([]string{"Acme db", "Microsoft Corporation UEFI CA 2011"}, []string{"Acme KEK", "Microsoft Corporation KEK CA 2011"})},
		WithoutMicrosoft: sbenroll.Decision{Enroll: true, Writes: writes([]string{"Acme db"}, []string{"Acme KEK"})},
	}
}

var setupModeStatus = secureboot.Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SetupMode: true}}

func setupMachine() Machine {
	return Machine{Product: "Acme", Version: "1", SecureBoot: SecureBoot{Status: setupModeStatus, Keys: true, Offer: offer()}}
}

func bodyOf(w *Wizard) string { return strings.Join(bodyText(w.View()), "\n") }

func TestSecureBootFlows(t *testing.T) {
	tests := []struct {
		name       string
		keys       string
		screen     string
		action     string // typeName of the last action, "" none
		enroll     bool
		microsoft  bool
		bodyHas    string
		bodyHasNot string
	}{
		{"install leads to the offer", "\n", ScreenSecureBoot, "", false, true,
			"1. db   add to Acme db, Microsoft Corporation UEFI CA 2011\n2. KEK  add to Acme KEK, Microsoft Corporation KEK CA 2011\n3. PK   set Acme PK", ""},
		{"the offer says what happens", "\n", ScreenSecureBoot, "", false, true, "After PK the firmware leaves Setup Mode and only signed images boot.", ""},
		{"enter skips: the cursor starts there", "\n\n", ScreenDisks, "rescan", false, true, "", ""},
		{"s skips", "\ns", ScreenDisks, "rescan", false, true, "", ""},
		{"e enrolls", "\ne", ScreenDisks, "rescan", true, true, "", ""},
		{"down enter enrolls", "\nv\n", ScreenDisks, "rescan", true, true, "", ""},
		{"m leaves Microsoft out", "\nm", ScreenSecureBoot, "", false, false, "1. db   add to Acme db\n", "Microsoft Corporation"},
		{"m twice puts it back", "\nmm", ScreenSecureBoot, "", false, true, "Microsoft Corporation KEK CA 2011", ""},
		{"Microsoft out, then enroll", "\nme", ScreenDisks, "rescan", true, false, "", ""},
		{"esc goes back", "\n~", ScreenWelcome, "", false, true, "", ""},
		{"back goes back", "\nb", ScreenWelcome, "", false, true, "", ""},
		{"the confirmation names the enrollment", "\ne\n", ScreenConfirm, "rescan", true, true,
			"Secure Boot: afterwards db, KEK and then PK are enrolled, Microsoft's CAs included.", ""},
		{"the confirmation names its absence", "\ns\n", ScreenConfirm, "rescan", false, true, "Secure Boot: the keys are not enrolled", ""},
		{"an enrollment starts with the install only", "\ne\n345678\n", ScreenProgress, "start", true, true, "", ""},
		{"advanced keeps the choice", "\nmea20GiB\n", ScreenDisks, "rescan", true, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(setupMachine(), cands(), maxData)
			a := press(w, tt.keys)
			if w.Screen() != tt.screen {
				t.Fatalf("screen %s, want %s (note %q)", w.Screen(), tt.screen, w.note)
			}
			if got := ""; a != nil {
				got = typeName(a)
				if got != tt.action {
					t.Errorf("action %s, want %q", got, tt.action)
				}
			} else if tt.action != "" {
				t.Errorf("no action, want %s", tt.action)
			}
			if w.opts.EnrollKeys != tt.enroll || w.opts.MicrosoftKeys != tt.microsoft {
				t.Errorf("enroll %v, Microsoft %v; want %v, %v", w.opts.EnrollKeys, w.opts.MicrosoftKeys, tt.enroll, tt.microsoft)
			}
			if s, ok := a.(StartInstall); ok && (s.Options.EnrollKeys != tt.enroll || s.Options.MicrosoftKeys != tt.microsoft) {
				t.Errorf("StartInstall options %+v", s.Options)
			}
			body := bodyOf(w)
			if !strings.Contains(body, tt.bodyHas) || tt.bodyHasNot != "" && strings.Contains(body, tt.bodyHasNot) {
				t.Errorf("body:\n%s\nwant %q, not %q", body, tt.bodyHas, tt.bodyHasNot)
			}
			screenEvent(t, w)
		})
	}
}

// Without keys to enroll, or outside Setup Mode, there is no offer:
// Install goes straight to the disks.
func TestNoSecureBootOffer(t *testing.T) {
	m := setupMachine()
	m.SecureBoot.Offer = nil
	w := New(m, cands(), maxData)
	if a := press(w, "\n"); w.Screen() != ScreenDisks || a == nil || typeName(a) != "rescan" {
		t.Fatalf("screen %s action %v", w.Screen(), a)
	}
	if body := bodyOf(press2(w, "\n")); strings.Contains(body, "Secure Boot") {
		t.Errorf("confirmation mentions Secure Boot without an offer:\n%s", body)
	}
}

func press2(w *Wizard, keys string) *Wizard { press(w, keys); return w }

func TestWelcomeSecureBootLine(t *testing.T) {
	st := func(sb, setup bool) secureboot.Status {
		return secureboot.Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SecureBoot: sb, SetupMode: setup}}
	}
	tests := []struct {
		sb   SecureBoot
		want string
	}{
		{SecureBoot{}, "Secure Boot  unknown (not booted through UEFI)"},
		{SecureBoot{Status: secureboot.Status{UEFI: true}}, "Secure Boot  not supported by the firmware"},
		{SecureBoot{Status: st(false, true), Keys: true, Offer: offer()}, "Secure Boot  off, Setup Mode yes (this image's keys can be enrolled)"},
		{SecureBoot{Status: st(false, true)}, "Secure Boot  off, Setup Mode yes (this image is not signed)"},
		{SecureBoot{Status: st(true, false), Keys: true}, "Secure Boot  on, Setup Mode no"},
		{SecureBoot{Status: st(false, false), Keys: true}, "Secure Boot  off, Setup Mode no"},
	}
	for _, tt := range tests {
		w := New(Machine{SecureBoot: tt.sb}, cands(), nil)
		if body := bodyOf(w); !strings.Contains(body, tt.want+"\n") && !strings.HasSuffix(body, tt.want) {
			t.Errorf("%+v: welcome:\n%s\nwant the line %q", tt.sb, body, tt.want)
		}
	}
}

func TestSecureBootScreenEvent(t *testing.T) {
	w := New(setupMachine(), cands(), maxData)
	press(w, "\n")
	line, _ := event.Format(w.Event())
	want := `{"event":"screen","screen":"secure-boot","writes":["db","KEK","PK"],"microsoftKeys":true,"enroll":false}`
	if got := string(line[len(event.Prefix) : len(line)-1]); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	press(w, "e\n345")
	if ev := screenEvent(t, w); ev["screen"] != "confirm" || ev["enrollKeys"] != true {
		t.Errorf("confirm event %v", ev)
	}
}

func TestSecureBootOutcomes(t *testing.T) {
	w := New(setupMachine(), cands(), maxData)
	press(w, "\ne\n345678\n")
	w.Finished(Result{Disk: "nvme0n1", BootEntry: "Boot0001", SecureBootEnrolled: true}, nil)
	if body := bodyOf(w); !strings.Contains(body, "Secure Boot keys enrolled (db, KEK, PK): the firmware has left Setup Mode.") {
		t.Errorf("done:\n%s", body)
	}
	w = New(setupMachine(), cands(), maxData)
	press(w, "\ne\n345678\n")
	w.Finished(Result{}, &Failure{Code: "secure-boot-not-setup-mode", Message: "refused", Wrote: true, Installed: true})
	body := bodyOf(w)
	if !strings.Contains(body, "is installed and verified; only the Secure Boot keys are not enrolled") || strings.Contains(body, "partly written") {
		t.Errorf("failed after the install:\n%s", body)
	}
}
