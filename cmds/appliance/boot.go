package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/datapart"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/netup"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/supervise"
)

// Service logs: 10 MiB per file, 5 rotated files kept.
const (
	logMaxSize    = 10 << 20
	logKeep       = 5
	readyFallback = "no network address yet (DHCP is still trying)"
)

// boot runs the start-up steps; a failure stops it.
func (a *appliance) boot(ctx context.Context, rel release) *failure {
	var vars efivar.Store
	if _, err := os.Stat(a.paths.Efivars); err == nil {
		vars = efivar.NewEfivarfs(a.paths.Efivars)
	} else {
		a.say("Warning: no EFI variables (%v)", err)
	}

	r, err := esp.Mount(ctx, esp.Options{SysRoot: a.paths.Sys, DevRoot: a.paths.Dev, Vars: vars, Mounter: mounter{&a.sys}, MountPoint: a.paths.ESP, Wait: a.sys.diskWait})
	if err != nil {
		return espFailure(err)
	}
	a.say("Boot partition: %s (%s), chosen by %s", r.Partition.Name, r.Partition.PartUUID, r.How)
	cfg, err := appconfig.Load(r.ConfigPath)
	if err != nil {
		return configFailure(r.ConfigPath, err)
	}
	if cfg.ESP.PartUUID != r.Partition.PartUUID {
		a.say("Warning: the config names ESP %s but the system booted from %s", cfg.ESP.PartUUID, r.Partition.PartUUID)
	}
	a.say("%s %s, host %s", cfg.Product, cfg.Version, cfg.Hostname)
	if rel.Version != "" && rel.Version != "unknown" && rel.Version != cfg.Version {
		a.say("Warning: the runtime image is version %s, the config says %s", rel.Version, cfg.Version)
	}

	if err := netup.SetHostname(a.paths.Etc, cfg.Hostname, a.sys.sethostname); err != nil {
		a.say("Warning: %v", err)
	}
	if err := os.WriteFile(filepath.Join(a.paths.Etc, "machine-id"), []byte(cfg.MachineID+"\n"), 0o444); err != nil {
		a.say("Warning: machine-id: %v", err)
	}

	dr, err := datapart.Mount(ctx, datapart.Options{SysRoot: a.paths.Sys, DevRoot: a.paths.Dev, BootDisk: r.Partition.Disk, Mounter: mounter{&a.sys}, MountPoint: a.paths.Data, Wait: a.sys.diskWait}, cfg.Data)
	if err != nil {
		return dataFailure(cfg.Data, err)
	}
	a.say("Data partition: %s (%s) on %s, found by %s", dr.Partition.Name, dr.Partition.PartUUID, dr.MountPoint, dr.How)
	for _, w := range dr.Report.Warnings {
		a.say("Warning: data partition: %s", w)
	}

	net := netup.New(netup.Options{SysRoot: a.paths.Sys, EtcDir: a.paths.Etc, Network: cfg.Network, Hostname: cfg.Hostname,
		Ops: a.sys.netOps, NewClient: a.sys.dhcpClient, Out: a.out, Events: a.events})
	go net.Run(context.Background()) // the network stays up until power-off

	sup, err := supervise.New(supervise.Options{
		Reaper: a.reaper, Console: a.out, Events: a.events,
		LogDir: filepath.Join(a.paths.Data, "log"), LogMaxSize: logMaxSize, LogKeep: logKeep,
	}, serviceSpecs(cfg, a.paths))
	if err != nil {
		// Validate rules out what New rejects; report it all the same.
		return &failure{code: errcode.Services, summary: "Cannot start the services.", err: err, hint: "check the services in " + appconfig.ESPPath + "."}
	}
	if ctx.Err() != nil {
		return nil // a shutdown is under way: start nothing
	}
	a.setSupervisor(sup)
	sup.Start()
	go a.announce(context.Background(), sup, cfg, r, dr, net, vars)
	return nil
}

// announce emits runtime-ready once the services are up, with whatever
// addresses the network has by then (waiting up to addressWait for one).
func (a *appliance) announce(ctx context.Context, sup *supervise.Supervisor, cfg *appconfig.Config, r esp.Result, dr datapart.Result, net *netup.Manager, vars efivar.Store) {
	actx, cancel := context.WithTimeout(ctx, a.sys.addressWait)
	gotAddr := make(chan bool, 1)
	go func() { gotAddr <- net.WaitAddress(actx) }()

	sctx, scancel := context.WithTimeout(ctx, a.sys.serviceWait)
	up := sup.WaitRunning(sctx, a.sys.minUp)
	scancel()
	if !up {
		for _, st := range sup.Status() {
			if st.State != servicestate.Running {
				a.events.Emit(event.Error{Code: errcode.ServiceFailing, Service: st.Name,
					Message: fmt.Sprintf("service %s is not staying up (%s, %d restarts, last: %s)", st.Name, st.State, st.Restarts, st.LastExit)})
			}
		}
		sup.WaitRunning(ctx, a.sys.minUp) // runtime-ready means the services are up: keep waiting
	}
	<-gotAddr
	cancel()

	ready := readyEvent(cfg, r, dr, net.Addresses(), bootCurrent(vars), sup.Status())
	a.events.Emit(ready)
	if a.screen != nil {
		a.screen.Kick()
	}
	a.say("")
	a.say("%s", readyLine(cfg, ready.Addresses))
}
