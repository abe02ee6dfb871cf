package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/display"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/fb"
	"github.com/plinth-os/plinth/internal/gfx"
	"github.com/plinth-os/plinth/internal/kmsg"
	"github.com/plinth-os/plinth/internal/secureboot"
	"github.com/plinth-os/plinth/internal/servicestate"
	"golang.org/x/sys/unix"
)

// statusEvery is how often the status screen is refreshed (uptime,
// service restarts); changes that matter are drawn at once (kick).
const statusEvery = 2 * time.Second

// screenDelay is how long the status screen waits for the boot to come
// to something to show (Settle) before it is drawn all the same. Until
// then the firmware's splash stays. Loading the brand and the font and
// drawing the whole screen is CPU the boot needs more: under emulation
// the screen drawn at once made the time from /init to runtime-ready
// 0.1 s longer (0.54-0.67 s against 0.47-0.60 s without a framebuffer).
const screenDelay = 2 * time.Second

// statusScreen is the appliance's face on the framebuffer: product,
// version, addresses and service health, instead of a login prompt.
// The framebuffer is opened at once, so that the console text knows
// where to go; the rest (brand, font, VT) is loaded by
// runStatusScreen, beside the boot.
type statusScreen struct {
	dev      *fb.Device
	brandDir string
	kick     chan struct{}

	mu      sync.Mutex
	message string // a boot failure, shown in full

	// settled is closed by Settle.
	settled    chan struct{}
	settleOnce sync.Once
}

// openStatusScreen opens the framebuffer, or says why not.
func openStatusScreen(brandDir string) (*statusScreen, error) {
	dev, err := fb.Open("/dev/fb0")
	if err != nil {
		return nil, err
	}
	return &statusScreen{dev: dev, brandDir: brandDir, kick: make(chan struct{}, 1), settled: make(chan struct{})}, nil
}

// Settle says the boot has come to something to show (ready, degraded,
// failed): a screen still waiting for it is drawn now.
func (s *statusScreen) Settle() { s.settleOnce.Do(func() { close(s.settled) }) }

// Kick redraws now.
func (s *statusScreen) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// SetMessage shows a boot failure on the screen.
func (s *statusScreen) SetMessage(m string) {
	s.mu.Lock()
	s.message = m
	s.mu.Unlock()
	s.Settle()
	s.Kick()
}

// run keeps the screen current, from when the boot settles or
// screenDelay has passed, until ctx ends. Each time what it shows
// changes (uptime aside) it emits a "screen" event, so tests know when
// to look.
func (a *appliance) runStatusScreen(ctx context.Context, s *statusScreen, rel release) {
	select {
	case <-s.settled:
	case <-time.After(screenDelay):
	case <-ctx.Done():
		return
	}
	d, err := display.Take(s.dev, "/dev/tty0", s.brandDir)
	if err != nil {
		// The console text goes to the serial ports only: say it there.
		a.say("No status screen: %v", err)
		return
	}
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	// Kernel errors would print on the text console, which this screen
	// hides: the last few are shown on it instead.
	kerrs, err := kmsg.Follow(ctx, "/dev/kmsg", kmsg.Err)
	if err != nil {
		a.say("status screen: kernel errors will not be shown: %v", err)
	}
	var recent []string
	var shown gfx.Status
	var vars efivar.Store
	if _, err := os.Stat(a.paths.Efivars); err == nil {
		vars = efivar.NewEfivarfs(a.paths.Efivars)
	}
	secure := a.secureBoot(vars) // fixed for the boot
	for {
		st := a.status(rel, s)
		st.SecureBoot, st.SecureBootOn = secureBootText(secure), secure.SecureBoot
		if st.Message == "" && len(recent) > 0 {
			st.Message = "Kernel errors:\n" + strings.Join(recent, "\n")
		}
		d.Renderer.DrawStatus(d.Image, st)
		if err := d.Show(); err != nil {
			a.say("status screen: %v", err)
			return
		}
		st.Uptime = 0
		for i := range st.Services {
			st.Services[i].Since = 0
		}
		if !reflect.DeepEqual(st, shown) {
			shown = st
			a.events.Emit(statusEvent(st, secure))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		case r, ok := <-kerrs:
			if !ok {
				kerrs = nil
				break
			}
			recent = append(recent, r.String())
			if len(recent) > 3 {
				recent = recent[len(recent)-3:]
			}
		}
	}
}

// status gathers what the screen shows.
func (a *appliance) status(rel release, s *statusScreen) gfx.Status {
	st := gfx.Status{Product: rel.Product, Version: rel.Version, Addresses: addresses()}
	st.Hostname, _ = os.Hostname()
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		st.Uptime = time.Duration(si.Uptime) * time.Second
	}
	if sup := a.supervisor(); sup != nil {
		for _, svc := range sup.Status() {
			st.Services = append(st.Services, gfx.ServiceStatus{Name: svc.Name, State: string(svc.State),
				Health: string(svc.Health), Reason: svc.Reason,
				Restarts: svc.Restarts, Since: time.Since(svc.Since).Round(time.Second)})
		}
	}
	s.mu.Lock()
	st.Message = s.message
	s.mu.Unlock()
	return st
}

// statusEvent is the screen event of the status screen st, which shows
// the Secure Boot state secure.
func statusEvent(st gfx.Status, secure secureboot.Status) event.Screen {
	ev := &event.StatusScreen{Addresses: st.Addresses, Services: len(st.Services), Health: []event.ServiceHealthStatus{},
		SecureBoot: secure.SecureBoot, SetupMode: secure.SetupMode, Lockdown: secure.Lockdown}
	for _, s := range st.Services {
		h := event.ServiceHealthStatus{Name: s.Name, Health: servicestate.Health(s.Health)}
		if h.Health != servicestate.HealthHealthy {
			h.Reason = s.Reason
		}
		ev.Health = append(ev.Health, h)
	}
	return event.Screen{Screen: "status", StatusScreen: ev}
}

// addresses lists the global unicast addresses with their prefixes.
func addresses() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, ad := range addrs {
			if ipn, ok := ad.(*net.IPNet); ok && ipn.IP.IsGlobalUnicast() {
				out = append(out, fmt.Sprintf("%s (%s)", ipn.String(), ifc.Name))
			}
		}
	}
	return out
}

// plainText turns console text (CR LF, a frame of '=') into lines for
// the screen.
func plainText(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.Trim(l, "=") == "" && l != "" {
			continue
		}
		lines = append(lines, l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
