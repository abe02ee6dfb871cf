package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/gfx"
	"github.com/plinth-os/plinth/internal/secureboot"
)

// The failure text made for the console becomes plain lines for the
// status screen: no CRs, no '=' frame, the what-to-do kept.
func TestPlainText(t *testing.T) {
	f := &failure{code: "x", summary: "The data partition is missing.", err: errors.New("no partition labelled plinth-data"), hint: "Reinstall."}
	got := plainText(f.text())
	if strings.Contains(got, "\r") || strings.Contains(got, "====") {
		t.Errorf("console framing left in %q", got)
	}
	for _, want := range []string{"The data partition is missing.", "no partition labelled plinth-data", "What to do: Reinstall."} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

// The status screen's event names each service's health, and why when
// it is not healthy.
func TestStatusEvent(t *testing.T) {
	st := gfx.Status{Addresses: []string{"10.0.2.15/24 (eth0)"}, Services: []gfx.ServiceStatus{
		{Name: "db", State: "running", Health: "healthy", Reason: "GET /health: 200"},
		{Name: "web", State: "backoff", Health: "unhealthy", Reason: "exit status 2; restarting in 1s"},
	}}
	secure := secureboot.Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SecureBoot: true}, Lockdown: "integrity"}
	line, err := event.Format(statusEvent(st, secure))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"screen","screen":"status","addresses":["10.0.2.15/24 (eth0)"],"services":2,"health":[{"name":"db","health":"healthy"},{"name":"web","health":"unhealthy","reason":"exit status 2; restarting in 1s"}],` +
		`"secureBoot":true,"setupMode":false,"lockdown":"integrity"}`
	if got := strings.TrimPrefix(strings.TrimSpace(string(line)), event.Prefix); got != want {
		t.Errorf("event =\n%s\nwant\n%s", got, want)
	}
	if err := event.Validate(string(line)); err != nil {
		t.Error(err)
	}
}

// The status screen waits for the boot to settle: a boot failure shown
// on it settles it, and settling again (runtime-ready after the
// failure's message, a second runtime-ready) is harmless.
func TestScreenSettles(t *testing.T) {
	tests := []struct {
		name   string
		settle func(s *statusScreen)
		want   bool
	}{
		{"nothing yet", func(*statusScreen) {}, false},
		{"ready", (*statusScreen).Settle, true},
		{"ready twice", func(s *statusScreen) { s.Settle(); s.Settle() }, true},
		{"a failure", func(s *statusScreen) { s.SetMessage("The data partition is missing.") }, true},
		{"a failure, then ready", func(s *statusScreen) { s.SetMessage("x"); s.Settle() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &statusScreen{kick: make(chan struct{}, 1), settled: make(chan struct{})}
			tt.settle(s)
			select {
			case <-s.settled:
				if !tt.want {
					t.Error("settled")
				}
			default:
				if tt.want {
					t.Error("not settled")
				}
			}
		})
	}
}
