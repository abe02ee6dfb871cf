package wizard

import (
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/secureboot"
	"github.com/plinth-os/plinth/internal/view"
)

// The secure-boot screen comes after Install on the welcome screen when
// the firmware is in Setup Mode and the image holds keys. It says what
// enrolling does and asks; enrolling is a choice of its own, not implied
// by typing the disk's id, and the cursor starts on not enrolling. The
// enrollment itself runs after the disk is installed and verified.

// SecureBoot is what the installer knows about Secure Boot here.
type SecureBoot struct {
	Status secureboot.Status
	// Keys: the installer image holds Secure Boot keys.
	Keys bool
	// Offer is what enrolling would do, with and without Microsoft's CAs;
	// nil when the keys cannot be enrolled (not in Setup Mode, no keys):
	// then the screen is never shown.
	Offer *EnrollOffer
}

// EnrollOffer is what enrolling the image's keys would do
// (sbenroll.Decide with secure-boot: enroll-if-setup-mode).
type EnrollOffer struct {
	WithMicrosoft, WithoutMicrosoft sbenroll.Decision
}

// decision is what the offer does with Microsoft's CAs as chosen.
func (o *EnrollOffer) decision(microsoft bool) sbenroll.Decision {
	if microsoft {
		return o.WithMicrosoft
	}
	return o.WithoutMicrosoft
}

var secureBootMenu = []menuItem{{"Skip enrolling", 's'}, {"Enroll the keys", 'e'}, {"Back", 'b'}}

func (w *Wizard) secureBootKey(k Key) Action {
	switch {
	case k.Kind == KeyEsc:
		w.goTo(ScreenWelcome)
		return nil
	case k.Kind == KeyRune && toLower(k.Rune) == 'm':
		w.opts.MicrosoftKeys = !w.opts.MicrosoftKeys
		return nil
	}
	return w.menuKey(k, secureBootMenu, func(i int) Action {
		if i == 2 {
			w.goTo(ScreenWelcome)
			return nil
		}
		w.opts.EnrollKeys = i == 1
		w.goTo(ScreenDisks)
		return Rescan{}
	})
}

func (w *Wizard) secureBootView(v *view.View) {
	v.Heading = "Secure Boot keys"
	d := w.machine.SecureBoot.Offer.decision(w.opts.MicrosoftKeys)
	v.Body = append(v.Body,
		view.Line{Text: "The firmware is in Setup Mode: it has no platform key and verifies nothing it starts."},
		view.Line{Text: fmt.Sprintf("This installer can enroll %s's keys after the install, in this order:", w.machine.Product)})
	for i, wr := range d.Writes {
		what := "add to"
		if !wr.Append {
			what = "set"
		}
		v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("%d. %-3s  %s %s", i+1, wr.Variable, what, strings.Join(wr.Certificates, ", ")), Style: view.Strong})
	}
	v.Body = append(v.Body,
		view.Line{Text: "Keys already in db and KEK stay; nothing is removed."},
		view.Line{Text: "After PK the firmware leaves Setup Mode and only signed images boot.", Style: view.Warn})
	if w.opts.MicrosoftKeys {
		v.Body = append(v.Body, view.Line{Text: "Microsoft's CAs are included (press m to leave them out).", Style: view.Dim})
	} else {
		v.Body = append(v.Body, view.Line{Text: "Microsoft's CAs are left out: cards whose option ROMs Microsoft signed will not start; the screen may stay dark. m includes them.", Style: view.Warn})
	}
	v.Menu, v.Cursor = labels(secureBootMenu), w.cursor
	v.Hint = "Up/Down choose  Enter select  e enroll  s skip  m Microsoft CAs  Esc back"
}

// secureBootLine is the welcome screen's Secure Boot line.
func (w *Wizard) secureBootLine() string {
	sb := w.machine.SecureBoot
	st := sb.Status
	if !st.UEFI || !st.Supported {
		return "Secure Boot  " + st.Summary()
	}
	line := fmt.Sprintf("Secure Boot  %s, Setup Mode %s", onOff(st.SecureBoot), yesNo(st.SetupMode))
	switch {
	case sb.Offer != nil:
		line += " (this image's keys can be enrolled)"
	case !sb.Keys:
		line += " (this image is not signed)"
	}
	return line
}

// confirmSecureBootLine says on the confirmation screen what the install
// does about Secure Boot; "" when the keys cannot be enrolled anyway.
func (w *Wizard) confirmSecureBootLine() string {
	switch {
	case w.machine.SecureBoot.Offer == nil:
		return ""
	case !w.opts.EnrollKeys:
		return "Secure Boot: the keys are not enrolled; the firmware stays in Setup Mode."
	case w.opts.MicrosoftKeys:
		return "Secure Boot: afterwards db, KEK and then PK are enrolled, Microsoft's CAs included."
	}
	return "Secure Boot: afterwards db, KEK and then PK are enrolled, without Microsoft's CAs."
}

func (w *Wizard) secureBootEvent() *event.SecureBootScreen {
	d := w.machine.SecureBoot.Offer.decision(w.opts.MicrosoftKeys)
	ev := &event.SecureBootScreen{Writes: []string{}, MicrosoftKeys: w.opts.MicrosoftKeys, Enroll: w.opts.EnrollKeys}
	for _, wr := range d.Writes {
		ev.Writes = append(ev.Writes, wr.Variable)
	}
	return ev
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
