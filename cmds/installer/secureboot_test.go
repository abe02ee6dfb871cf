package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/sbenroll/sbenrolltest"
	"github.com/plinth-os/plinth/internal/step"
	"github.com/plinth-os/plinth/internal/wizard"
)

// An unattended install with secure-boot: enroll-if-setup-mode on
// firmware in Setup Mode plans the enrollment, announces it in the plan
// event as --plan prints it, installs the disk, then enrolls db, KEK and
// PK, in that order, as the step after verify.
func TestInstallEnrollsKeys(t *testing.T) {
	r, _ := planSystem(t)
	uki := writePayload(t, r)
	certs := sbenrolltest.WriteKeys(t, r.SecureBootKeys)
	vars := efivar.NewMemStore()
	fw := sbenrolltest.NewFirmware(t, vars, 0, 1)
	r.Vars = fw
	const yaml = "disk: smallest\nsecure-boot: enroll-if-setup-mode\n"
	var out, errb bytes.Buffer
	if status := planMain([]string{"--plan", "--answers", writeAnswers(t, yaml)}, r, &out, &errb); status != 0 {
		t.Fatalf("--plan: status %d: %s", status, errb.String())
	}
	var printed installplan.Plan
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil || !printed.SecureBoot.Enroll || len(printed.SecureBoot.Writes) != 3 {
		t.Fatalf("--plan does not plan the enrollment (%v): %s", err, out.String())
	}
	if len(fw.Writes()) != 0 {
		t.Fatal("--plan wrote keys")
	}

	ans, _ := answers.Parse([]byte(yaml))
	m, payload, err := readPayload(r)
	if err != nil || !bytes.Equal(payload.UKI, uki) {
		t.Fatal(err)
	}
	keys, err := readSecureBootKeys(r.SecureBootKeys)
	if err != nil || keys == nil {
		t.Fatal(err)
	}
	var events bytes.Buffer
	env := install.Env{SysRoot: r.Sys, DevRoot: r.Dev, ProcRoot: r.Proc, Vars: fw, Events: event.New(&events),
		Req: installplan.DefaultRequirements(), Log: t.Logf, SecureBootKeys: keys}
	res, err := install.Run(context.Background(), env, install.Request{Answers: ans, Manifest: m, UKI: payload.UKI})
	if err != nil {
		t.Fatalf("install: %v\n%s", err, events.String())
	}
	if announced := planEvent(t, events.String()); !bytes.Equal(announced, bytes.TrimSpace(out.Bytes())) {
		t.Errorf("the plan event differs from --plan:\n%s\n%s", announced, out.Bytes())
	}
	var order []string
	for _, w := range fw.Writes() {
		order = append(order, w.Name)
	}
	if !slices.Equal(order, []string{"db", "KEK", "PK"}) || !res.SecureBootEnrolled {
		t.Errorf("writes %q, enrolled %v", order, res.SecureBootEnrolled)
	}
	lists, _ := efivar.ReadSignatureLists(vars, "PK")
	if pk := efivar.X509Certificates(lists); len(pk) != 1 || !bytes.Equal(pk[0], certs.PK) {
		t.Errorf("PK after the install: %d certificates", len(pk))
	}
	if steps := progressSteps(events.String()); !slices.Equal(steps[len(steps)-3:], []string{string(step.Verify), string(step.SecureBoot), string(step.Done)}) {
		t.Errorf("steps %q: want verify, secure-boot, done last", steps)
	}
}

// progressSteps lists the steps of the progress events, without repeats.
func progressSteps(events string) []string {
	var steps []string
	for _, line := range strings.Split(events, "\n") {
		if obj, ok := event.Parse(line); ok && obj["event"] == "progress" {
			if s := obj["step"].(string); len(steps) == 0 || steps[len(steps)-1] != s {
				steps = append(steps, s)
			}
		}
	}
	return steps
}

// --plan refuses secure-boot: require when the firmware would not verify
// the installed system, and names the damaged key directory.
func TestPlanSecureBootRefusals(t *testing.T) {
	r, _ := planSystem(t)
	sbenrolltest.WriteKeys(t, r.SecureBootKeys)
	r.Vars = sbenrolltest.NewFirmware(t, efivar.NewMemStore(), 1, 0) // User Mode, our db certificate not enrolled
	var out, errb bytes.Buffer
	if status := planMain([]string{"--plan", "--answers", writeAnswers(t, "disk: smallest\nsecure-boot: require\n")}, r, &out, &errb); status != 1 ||
		!strings.Contains(errb.String(), "secure-boot-required") || !strings.Contains(errb.String(), "reset to Setup Mode / clear keys") {
		t.Errorf("require in User Mode: status %d, %s", status, errb.String())
	}
	out.Reset()
	errb.Reset()
	if status := planMain([]string{"--plan", "--answers", writeAnswers(t, "disk: smallest\nsecure-boot: enroll-if-setup-mode\n")}, r, &out, &errb); status != 0 ||
		!strings.Contains(out.String(), `"enroll":false`) || !strings.Contains(out.String(), "User Mode") {
		t.Errorf("enroll-if-setup-mode in User Mode: status %d, %s %s", status, out.String(), errb.String())
	}
	os.Remove(r.SecureBootKeys + "/db.der")
	errb.Reset()
	if status := planMain([]string{"--plan", "--answers", writeAnswers(t, "disk: smallest\n")}, r, &out, &errb); status != 1 ||
		!strings.Contains(errb.String(), string(errcode.SecureBootKeys)) || !strings.Contains(errb.String(), "db.der") {
		t.Errorf("damaged key directory: status %d, %s", status, errb.String())
	}
}

// The wizard is offered enrollment only in Setup Mode with keys, and
// its choice becomes the answers' secure-boot keys.
func TestEnrollOffer(t *testing.T) {
	r, _ := planSystem(t)
	sbenrolltest.WriteKeys(t, r.SecureBootKeys)
	keys, err := readSecureBootKeys(r.SecureBootKeys)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		vars  efivar.Store
		keys  bool
		offer bool
	}{
		{"setup mode with keys", sbenrolltest.NewFirmware(t, efivar.NewMemStore(), 0, 1), true, true},
		{"setup mode, unsigned image", sbenrolltest.NewFirmware(t, efivar.NewMemStore(), 0, 1), false, false},
		{"user mode", sbenrolltest.NewFirmware(t, efivar.NewMemStore(), 1, 0), true, false},
		{"no UEFI", nil, true, false},
	}
	for _, tt := range tests {
		k := keys
		if !tt.keys {
			k = nil
		}
		o := enrollOffer(tt.vars, k)
		if (o != nil) != tt.offer {
			t.Errorf("%s: offer %v", tt.name, o)
		}
		if o != nil && (!o.WithMicrosoft.MicrosoftKeys || o.WithoutMicrosoft.MicrosoftKeys || o.WithoutMicrosoft.Writes[0].File != "db.auth") {
			t.Errorf("%s: %+v", tt.name, o)
		}
	}
	for _, tt := range []struct {
		opts      wizard.Options
		policy    string
		microsoft bool
	}{
		{wizard.Options{MicrosoftKeys: true}, answers.SecureBootOff, true},
		{wizard.Options{EnrollKeys: true, MicrosoftKeys: true}, answers.SecureBootEnrollIfSetupMode, true},
		{wizard.Options{EnrollKeys: true}, answers.SecureBootEnrollIfSetupMode, false},
	} {
		a := answers.Default()
		secureBootAnswers(&a, tt.opts)
		if a.SecureBootPolicy() != tt.policy || a.MicrosoftKeys() != tt.microsoft {
			t.Errorf("%+v: %q %v", tt.opts, a.SecureBootPolicy(), a.MicrosoftKeys())
		}
	}
}

// A key the firmware refuses after the disk is installed fails the
// install as installed-but-not-enrolled, with what to do in the firmware
// menu; PK is not written after a refused KEK.
func TestInstallEnrollRefused(t *testing.T) {
	r, _ := planSystem(t)
	writePayload(t, r)
	sbenrolltest.WriteKeys(t, r.SecureBootKeys)
	fw := sbenrolltest.NewFirmware(t, efivar.NewMemStore(), 0, 1)
	fw.Refuse["KEK"] = syscall.EACCES
	ans, _ := answers.Parse([]byte("disk: smallest\nsecure-boot: require\n"))
	m, payload, _ := readPayload(r)
	keys, _ := readSecureBootKeys(r.SecureBootKeys)
	env := install.Env{SysRoot: r.Sys, DevRoot: r.Dev, ProcRoot: r.Proc, Vars: fw, Req: installplan.DefaultRequirements(), Log: t.Logf, SecureBootKeys: keys}
	_, err := install.Run(context.Background(), env, install.Request{Answers: ans, Manifest: m, UKI: payload.UKI})
	if install.Code(err) != errcode.SecureBootNotSetupMode || !install.Installed(err) || !install.Wrote(err) {
		t.Fatalf("err = %v (code %s, installed %v)", err, install.Code(err), install.Installed(err))
	}
	for _, want := range []string{"the disk is installed and verified", "refused KEK", "Setup Mode",
		"enter the firmware setup, Secure Boot → reset to Setup Mode / clear keys, then boot the installer again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if w := fw.Writes(); len(w) != 1 || w[0].Name != "db" {
		t.Errorf("writes %+v, want db only", w)
	}
}
