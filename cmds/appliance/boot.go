package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/datapart"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/esp"
	"github.com/plinth-os/plinth/internal/netup"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/secureboot"
	"github.com/plinth-os/plinth/internal/supervise"
)

// Service logs: 10 MiB per file, 5 rotated files kept.
const (
	logMaxSize    = 10 << 20
	logKeep       = 5
	readyFallback = "no network address yet (DHCP is still trying)"
)

// booted is what boot found, for the runtime-ready event.
type booted struct {
	cfg  *appconfig.Config
	spec *productspec.Spec
	esp  esp.Result
	data datapart.Result
	vars efivar.Store
	// secure is the Secure Boot state and lockdown mode, read once at
	// boot: neither changes while the system runs.
	secure secureboot.Status
}

// boot runs the start-up steps; a failure stops it.
func (a *appliance) boot(ctx context.Context, rel release) *failure {
	var b booted
	if _, err := os.Stat(a.paths.Efivars); err == nil {
		b.vars = efivar.NewEfivarfs(a.paths.Efivars)
	} else {
		a.say("Warning: no EFI variables (%v)", err)
	}
	b.secure = a.secureBoot(b.vars)
	a.say("Secure Boot: %s", secureBootText(b.secure))
	var f *failure
	bootTime := time.Now()
	// The product file is in the image, not on the ESP: it is read and
	// checked while the ESP is found and mounted.
	product := make(chan loadedSpec, 1)
	go func() {
		spec, err := productspec.Load(a.paths.Product)
		product <- loadedSpec{spec, err}
	}()
	if b.esp, b.cfg, f = a.loadConfig(ctx, b.vars); f != nil {
		return f
	}
	spec, cmds, f := a.loadProduct(b.cfg, rel, <-product)
	if f != nil {
		return f
	}
	b.spec = spec
	a.setIdentity(b.cfg)
	// The network needs only the config: its DHCP exchange (most of a
	// second on a slow machine) runs while the data partition is found,
	// checked and mounted.
	net := netup.New(netup.Options{SysRoot: a.paths.Sys, EtcDir: a.paths.Etc, Network: b.cfg.Network, Hostname: b.cfg.Hostname,
		Ops: a.sys.netOps, NewClient: a.sys.dhcpClient, Out: a.out, Events: a.events})
	go net.Run(context.Background()) // the network stays up until power-off
	// The A/B state (the ESP's slots, the firmware's variables) is read
	// while the data partition is found, checked and mounted: neither
	// touches the other's partition, and under emulation the one took
	// 0.04 to 0.05 s, the other 0.09 to 0.12 s. openUpdates reads b's
	// ESP, variables and product only.
	opened := make(chan updates, 1)
	go func() { opened <- a.openUpdates(&b) }()
	dr, err := datapart.Mount(ctx, datapart.Options{SysRoot: a.paths.Sys, DevRoot: a.paths.Dev, BootDisk: b.esp.Partition.Disk, Known: b.esp.Scanned,
		Mounter: mounter{&a.sys}, MountPoint: a.paths.Data, Wait: a.sys.diskWait}, b.cfg.Data)
	up := <-opened
	if err != nil {
		return dataFailure(b.cfg.Data, err)
	}
	previous := ""
	if up.u != nil {
		previous = up.u.Previous(up.trial)
	}
	b.data = dr
	a.say("Data partition: %s (%s) on %s, found by %s", dr.Partition.Name, dr.Partition.PartUUID, dr.MountPoint, dr.How)
	for _, w := range dr.Report.Warnings {
		a.say("Warning: data partition: %s", w)
	}
	if err := a.prepareFiles(spec); err != nil {
		return &failure{code: errcode.Services, summary: "Cannot start the services: their directories could not be prepared.", err: err,
			hint: "check the kernel messages above; the data partition may be damaged (run e2fsck -f on it from another computer)."}
	}

	sup, err := supervise.New(supervise.Options{
		Reaper: a.reaper, Console: a.out, Events: a.events, MinUp: a.sys.minUp,
		LogDir: filepath.Join(a.paths.Data, "log"), LogMaxSize: logMaxSize, LogKeep: logKeep,
	}, serviceSpecs(spec, cmds, a.paths, previous))
	if err != nil {
		// Validate rules out what New rejects; report it all the same.
		return &failure{code: errcode.Services, summary: "Cannot start the services.", err: err, hint: "rebuild the runtime image: " + productspec.Path + " is not consistent."}
	}
	if ctx.Err() != nil {
		return nil // a shutdown is under way: start nothing
	}
	a.setSupervisor(sup)
	watch := sup.Watch() // before Start: no change of health is missed
	sup.Start()
	go a.announce(context.Background(), watch, b, net)
	go a.runUpdates(context.Background(), up, sup, spec, bootTime, net, b.esp.Partition.Disk)
	return nil
}

// secureBoot reads the Secure Boot state and the lockdown mode; what
// cannot be read is said and left out (reported as off).
func (a *appliance) secureBoot(vars efivar.Store) secureboot.Status {
	st, err := secureboot.Read(vars, a.paths.Lockdown)
	if err != nil {
		a.say("Warning: Secure Boot state: %v", err)
	}
	return st
}

// secureBootText is the state in a few words: "on, lockdown integrity".
func secureBootText(st secureboot.Status) string {
	s := st.Summary()
	if st.Lockdown != "" {
		s += ", lockdown " + st.Lockdown
	}
	return s
}

// loadConfig mounts the ESP and reads the config.
func (a *appliance) loadConfig(ctx context.Context, vars efivar.Store) (esp.Result, *appconfig.Config, *failure) {
	r, err := esp.Mount(ctx, esp.Options{SysRoot: a.paths.Sys, DevRoot: a.paths.Dev, Vars: vars, Mounter: mounter{&a.sys}, MountPoint: a.paths.ESP, Wait: a.sys.diskWait,
		Writable: true})
	if err != nil {
		return r, nil, espFailure(err)
	}
	a.say("Boot partition: %s (%s), chosen by %s", r.Partition.Name, r.Partition.PartUUID, r.How)
	cfg, err := appconfig.Load(r.ConfigPath)
	if err != nil {
		return r, nil, configFailure(r.ConfigPath, err)
	}
	if cfg.ESP.PartUUID != r.Partition.PartUUID {
		a.say("Warning: the config names ESP %s but the system booted from %s", cfg.ESP.PartUUID, r.Partition.PartUUID)
	}
	return r, cfg, nil
}

// loadedSpec is the product file as productspec.Load left it.
type loadedSpec struct {
	spec *productspec.Spec
	err  error
}

// loadProduct takes the runtime image's product file as loaded and
// substitutes this machine's settings into its services' commands.
func (a *appliance) loadProduct(cfg *appconfig.Config, rel release, loaded loadedSpec) (*productspec.Spec, []productspec.Command, *failure) {
	spec, err := loaded.spec, loaded.err
	if err != nil {
		return nil, nil, productFailure(err)
	}
	a.say("%s %s, host %s, %d service(s)", spec.Product, spec.Version, cfg.Hostname, len(spec.Services))
	if spec.Version != cfg.Version {
		a.say("Warning: the runtime image is version %s, the config says %s", spec.Version, cfg.Version)
	}
	if rel.Version != "" && rel.Version != "unknown" && rel.Version != spec.Version {
		a.say("Warning: release.json says version %s, %s says %s", rel.Version, a.paths.Product, spec.Version)
	}
	cmds, err := spec.Expand(cfg.Settings)
	if err != nil {
		return nil, nil, settingsFailure(spec, err)
	}
	return spec, cmds, nil
}

// setIdentity sets the hostname and /etc/machine-id.
func (a *appliance) setIdentity(cfg *appconfig.Config) {
	if err := netup.SetHostname(a.paths.Etc, cfg.Hostname, a.sys.sethostname); err != nil {
		a.say("Warning: %v", err)
	}
	if err := os.WriteFile(filepath.Join(a.paths.Etc, "machine-id"), []byte(cfg.MachineID+"\n"), 0o444); err != nil {
		a.say("Warning: machine-id: %v", err)
	}
}
