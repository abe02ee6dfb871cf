package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/plinth-os/plinth/internal/boottime"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/netup"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/supervise"
)

// announce emits runtime-ready each time every service has become
// healthy, and runtime-degraded each time one has become unhealthy
// (once, until all are healthy again), from the supervisor's changes
// of overall health in order. The first runtime-ready also waits (up
// to addressWait from boot) for a network address.
func (a *appliance) announce(ctx context.Context, watch <-chan supervise.Overall, b booted, net *netup.Manager) {
	actx, cancel := context.WithTimeout(ctx, a.sys.addressWait)
	defer cancel()
	gotAddr := make(chan bool, 1)
	go func() { gotAddr <- net.WaitAddress(actx) }()
	var last event.Name
	for o := range watch {
		switch {
		case o.Health == servicestate.HealthHealthy && last != event.NameRuntimeReady:
			if gotAddr != nil {
				<-gotAddr
				gotAddr = nil
			}
			bt, err := boottime.Read(filepath.Join(a.paths.Dev, "kmsg"))
			if err != nil {
				a.say("Warning: %v", err)
			}
			ready := readyEvent(b, net.Addresses(), o.Services, bt)
			a.events.Emit(ready)
			a.say("")
			a.say("%s", readyLine(b.spec.Product, b.spec.Version, ready.Addresses))
			last = event.NameRuntimeReady
		case o.Health == servicestate.HealthUnhealthy && last != event.NameRuntimeDegraded:
			deg := degradedEvent(b, o)
			a.events.Emit(deg)
			a.say("")
			a.say("%s", degradedLine(deg))
			last = event.NameRuntimeDegraded
		default:
			continue
		}
		if a.screen != nil {
			a.screen.Settle()
			a.screen.Kick()
		}
	}
}

// readyEvent is the runtime-ready event. Its addresses are plain IPs
// (no prefix length), ready to put in a URL.
func readyEvent(b booted, addrs []netip.Prefix, services []supervise.Status, bt boottime.Times) event.RuntimeReady {
	ips := []string{}
	for _, p := range addrs {
		ips = append(ips, p.Addr().String())
	}
	svcs := make([]event.ServiceStatus, len(services))
	for i, s := range services {
		svcs[i] = event.ServiceStatus{Name: s.Name, State: s.State, Health: s.Health, PID: s.PID, Restarts: s.Restarts}
	}
	return event.RuntimeReady{
		Product:      b.spec.Product,
		Version:      b.spec.Version,
		Hostname:     b.cfg.Hostname,
		MachineID:    b.cfg.MachineID,
		Data:         b.data.MountPoint,
		DataPartUUID: b.data.Partition.PartUUID,
		ESPPartUUID:  b.esp.Partition.PartUUID,
		BootCurrent:  bootCurrent(b.vars),
		Addresses:    ips,
		Services:     svcs,
		SecureBoot:   b.secure.SecureBoot,
		SetupMode:    b.secure.SetupMode,
		Lockdown:     b.secure.Lockdown,
		Uptime:       bt.Uptime,
		InitStarted:  bt.InitStarted,
	}
}

// degradedEvent is the runtime-degraded event: the services not healthy.
func degradedEvent(b booted, o supervise.Overall) event.RuntimeDegraded {
	ev := event.RuntimeDegraded{Product: b.spec.Product, Version: b.spec.Version, Services: []event.ServiceHealthStatus{}}
	for _, s := range o.NotHealthy() {
		ev.Services = append(ev.Services, event.ServiceHealthStatus{Name: s.Name, Health: s.Health, Reason: s.Reason})
	}
	return ev
}

// readyLine is the console line for people.
func readyLine(product, version string, ips []string) string {
	if len(ips) == 0 {
		return fmt.Sprintf("%s %s ready — %s", product, version, readyFallback)
	}
	return fmt.Sprintf("%s %s ready at %s", product, version, strings.Join(ips, ", "))
}

// degradedLine is the console line for people.
func degradedLine(ev event.RuntimeDegraded) string {
	var svcs []string
	for _, s := range ev.Services {
		svcs = append(svcs, fmt.Sprintf("%s %s (%s)", s.Name, s.Health, s.Reason))
	}
	return fmt.Sprintf("%s %s degraded — %s", ev.Product, ev.Version, strings.Join(svcs, "; "))
}

// bootCurrent is BootCurrent as the Boot#### number ("0003"), or "".
func bootCurrent(vars efivar.Store) string {
	if vars == nil {
		return ""
	}
	n, err := efivar.ReadBootCurrent(vars)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%04X", n)
}
