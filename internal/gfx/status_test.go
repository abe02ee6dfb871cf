package gfx

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"time"
)

// TestStatusHealth: with health given, each service shows its health
// word in its colour, the state and reason in the detail, and the
// summary counts health.
func TestStatusHealth(t *testing.T) {
	r := newRenderer(t, darkBrand())
	base := Status{Product: "Acme DB", Version: "1.4.2", Hostname: "acme-1", Addresses: []string{"10.0.2.15/24 (eth0)"}}
	tests := []struct {
		name string
		svcs []ServiceStatus
		want []string
		not  []string
	}{
		{"all healthy", []ServiceStatus{
			{Name: "db", State: "running", Health: HealthHealthy, Reason: "GET /health: 200", Since: time.Minute},
			{Name: "backup", State: "running", Health: HealthHealthy, Since: time.Minute, Restarts: 1},
		}, []string{"all healthy", "healthy", "running for 1m", "running for 1m, 1 restart"}, []string{"GET /health: 200", "not running"}},
		{"one unhealthy", []ServiceStatus{
			{Name: "db", State: "running", Health: HealthUnhealthy, Reason: "GET /health: 503", Since: 12 * time.Second},
			{Name: "backup", State: "waiting", Health: HealthStarting, Reason: "waiting for db (unhealthy)", Since: 12 * time.Second},
		}, []string{"1 of 2 unhealthy", "unhealthy", "GET /health: 503; running for 12s", "starting", "waiting for db (unhealthy); for 12s"}, nil},
		{"starting", []ServiceStatus{
			{Name: "db", State: "running", Health: HealthStarting, Reason: "started", Since: time.Second},
			{Name: "web", State: "running", Health: HealthHealthy, Since: time.Second},
		}, []string{"1 of 2 starting", "started; running for 1s"}, nil},
	}
	for _, tt := range tests {
		s := base
		s.Services = tt.svcs
		for _, size := range []image.Point{{640, 480}, sizeSmall, sizeLarge} {
			l := r.layoutStatus(s, size)
			if o := l.overflows(); len(o) > 0 {
				t.Errorf("%s %v overflows:\n%s", tt.name, size, strings.Join(o, "\n"))
			}
			var drawn []string
			for _, it := range l.items {
				if it.kind == kindText {
					drawn = append(drawn, it.text)
				}
			}
			all := strings.Join(drawn, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s %v: %q not drawn; drawn:\n%s", tt.name, size, w, all)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(all, w) {
					t.Errorf("%s %v: %q drawn", tt.name, size, w)
				}
			}
		}
	}
	// Colours: an unhealthy service's dot is red, a starting one's amber.
	s := base
	s.Services = tests[1].svcs
	img := renderStatus(r, s, sizeLarge)
	for name, c := range map[string]color.RGBA{"bad": r.pal.bad, "warn": r.pal.warn} {
		if n := count(img, img.Bounds(), c); n < 100 {
			t.Errorf("%d %s pixels, want the health dots", n, name)
		}
	}
}

// TestStatusSecureBoot: the Secure Boot line is drawn under the
// addresses in the good colour when on, the warning colour when off,
// and not at all without one; it fits down to 640x480.
func TestStatusSecureBoot(t *testing.T) {
	r := newRenderer(t, darkBrand())
	tests := []struct {
		text string
		on   bool
		want color.RGBA
	}{
		{"on, lockdown integrity", true, r.pal.good},
		{"off, Setup Mode, lockdown integrity", false, r.pal.warn},
		{"", false, color.RGBA{}},
	}
	for _, tt := range tests {
		s := status()
		s.SecureBoot, s.SecureBootOn = tt.text, tt.on
		for _, size := range []image.Point{{640, 480}, sizeSmall, sizeLarge} {
			l := r.layoutStatus(s, size)
			if o := l.overflows(); len(o) > 0 {
				t.Errorf("%q %v overflows:\n%s", tt.text, size, strings.Join(o, "\n"))
			}
			var found *item
			for i, it := range l.items {
				if it.kind == kindText && strings.HasPrefix(it.text, "Secure Boot") {
					found = &l.items[i]
				}
			}
			switch {
			case tt.text == "" && found != nil:
				t.Errorf("%v: a Secure Boot line without one: %q", size, found.text)
			case tt.text != "" && (found == nil || found.text != "Secure Boot "+tt.text || found.col != tt.want):
				t.Errorf("%q %v: drawn %+v, want it in %v", tt.text, size, found, tt.want)
			}
		}
	}
}
