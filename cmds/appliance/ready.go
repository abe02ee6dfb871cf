package main

import (
	"fmt"
	"net/netip"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/datapart"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/supervise"
)

// readyEvent is the runtime-ready event. Its addresses are plain IPs
// (no prefix length), ready to put in a URL.
func readyEvent(cfg *appconfig.Config, r esp.Result, dr datapart.Result, addrs []netip.Prefix, boot string, services []supervise.Status) event.RuntimeReady {
	ips := []string{}
	for _, p := range addrs {
		ips = append(ips, p.Addr().String())
	}
	svcs := make([]event.ServiceStatus, len(services))
	for i, s := range services {
		svcs[i] = event.ServiceStatus{Name: s.Name, State: s.State, PID: s.PID, Restarts: s.Restarts}
	}
	return event.RuntimeReady{
		Product:      cfg.Product,
		Version:      cfg.Version,
		Hostname:     cfg.Hostname,
		MachineID:    cfg.MachineID,
		Data:         dr.MountPoint,
		DataPartUUID: dr.Partition.PartUUID,
		ESPPartUUID:  r.Partition.PartUUID,
		BootCurrent:  boot,
		Addresses:    ips,
		Services:     svcs,
	}
}

// readyLine is the console line for people.
func readyLine(cfg *appconfig.Config, ips []string) string {
	if len(ips) == 0 {
		return fmt.Sprintf("%s %s ready — %s", cfg.Product, cfg.Version, readyFallback)
	}
	host := ips[0]
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s %s ready — http://%s/status", cfg.Product, cfg.Version, host)
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
