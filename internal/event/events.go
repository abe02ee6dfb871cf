package event

import (
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/guid"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/step"
)

// Event names.
const (
	NameReady            Name = "ready"
	NameScreen           Name = "screen"
	NamePlan             Name = "plan"
	NameProgress         Name = "progress"
	NameInstalled        Name = "installed"
	NameUpgraded         Name = "upgraded"
	NameLogsExported     Name = "logs-exported"
	NameError            Name = "error"
	NameRuntimeReady     Name = "runtime-ready"
	NameRuntimeDegraded  Name = "runtime-degraded"
	NameServiceStart     Name = "service-start"
	NameServiceExit      Name = "service-exit"
	NameServiceStop      Name = "service-stop"
	NameServiceHealth    Name = "service-health"
	NameNetwork          Name = "network"
	NameShutdown         Name = "shutdown"
	NameUpdateCheck      Name = "update-check"
	NameUpdateDownload   Name = "update-download"
	NameUpdateRefused    Name = "update-refused"
	NameUpdateStaged     Name = "update-staged"
	NameUpdateCommitted  Name = "update-committed"
	NameUpdateFailed     Name = "update-failed"
	NameUpdateRolledBack Name = "update-rolled-back"
	NameE2EStep          Name = "e2e-step"
	NameE2EDone          Name = "e2e-done"
)

// All returns a zero value of every event, in the order docs/events.md
// lists them.
func All() []Event {
	return []Event{
		AnswersWaiting{}, AnswersFound{},
		Ready{}, Screen{}, Plan{}, Progress{}, Installed{}, Upgraded{}, LogsExported{}, Error{},
		RuntimeReady{}, RuntimeDegraded{}, ServiceStart{}, ServiceExit{}, ServiceStop{}, ServiceHealth{},
		Network{}, Shutdown{},
		UpdateCheck{}, UpdateDownload{}, UpdateRefused{}, UpdateStaged{}, UpdateCommitted{}, UpdateFailed{}, UpdateRolledBack{},
		E2EStep{}, E2EDone{},
	}
}

// Names of the events of installs over the network.
const (
	NameAnswersWaiting Name = "answers-waiting"
	NameAnswersFound   Name = "answers-found"
)

// AnswersWaiting is emitted by the installer while it waits for the
// answers of an unattended install from the network (the URL template
// of the SMBIOS OEM string plinth.answers-url, else the one built into
// the image): first as it waits for the network to get an address
// (attempt 0), then after every round of requests that found no
// answers, before it waits and asks again. It asks until the server has answers for this
// machine; the screen shows the same message.
type AnswersWaiting struct {
	// Source is where the URL template comes from: smbios (the OEM string plinth.answers-url) or image (built into the installer image).
	Source string `json:"source"`
	// Template is the URL template, before ${mac}, ${uuid} and ${serial} are replaced.
	Template string `json:"template"`
	// URLs are the URLs asked, in order: the template for this machine, one per wired network interface with ${mac}; absent while waiting for an address.
	URLs []string `json:"urls,omitempty"`
	// Message says for people what happened and when the next try is, e.g. "no answers for this machine (uuid 4c4c4544-…, mac 52-54-00-12-34-56) at http://10.0.2.2:8080/a/4c4c4544-….yaml; retrying in 4s".
	Message string `json:"message"`
	// Attempt is the number of rounds of requests that found no answers so far; 0 while waiting for a network address.
	Attempt int `json:"attempt"`
}

func (AnswersWaiting) EventName() Name { return NameAnswersWaiting }

// AnswersFound is emitted by the installer when it has well-formed
// answers for an unattended install, before it checks them against the
// machine and its disks. Malformed answers are an error event instead
// (code answers-invalid), wherever they come from.
type AnswersFound struct {
	// Source is where they come from, the first of: embedded (built into the image), volume (install.yaml on a FAT volume labelled PLINTHCFG), smbios (fetched by the OEM string plinth.answers-url), image (fetched by the URL template built into the image).
	Source string `json:"source"`
	// URL is the URL the answers were fetched from (sources smbios and image).
	URL string `json:"url,omitempty"`
}

func (AnswersFound) EventName() Name { return NameAnswersFound }

// Ready is emitted by the installer once it has looked at the machine
// and waits for the user on its first screen (also after an unattended
// install failed: then the first screen is the failure screen).
type Ready struct {
	// Product is the name of the product being installed.
	Product string `json:"product"`
	// Version is the product's version.
	Version string `json:"version"`
	// CPUs is the number of online CPUs.
	CPUs int `json:"cpus"`
	// Memory is the machine's memory in bytes.
	Memory int64 `json:"memory"`
	// Disks are the disks found, sorted by kernel name.
	Disks []Disk `json:"disks"`
	// Candidates are the same disks, each judged: may it be installed to, and why not.
	Candidates []Candidate `json:"candidates"`
	// Uptime is the seconds since the kernel started.
	Uptime float64 `json:"uptime"`
	// InitStarted is the seconds since the kernel started when it ran /init, as its log says: the kernel's part of Uptime (0 if the log no longer says).
	InitStarted float64 `json:"initStarted"`
	// Screen is the screen shown first, as the screen event names it.
	Screen string `json:"screen"`
	// SecureBoot says whether the firmware verified this boot (Secure Boot on); false without UEFI.
	SecureBoot bool `json:"secureBoot"`
	// SetupMode says whether the firmware is in Setup Mode: it has no platform key, so keys can be enrolled.
	SetupMode bool `json:"setupMode"`
	// SecureBootKeys says whether the installer image holds Secure Boot keys that it can enroll.
	SecureBootKeys bool `json:"secureBootKeys"`
}

// Candidate is a disk and whether the installer may install to it.
type Candidate struct {
	// Disk is the disk.
	Disk Disk `json:"disk"`
	// ShortID is what people type to pick or confirm the disk.
	ShortID string `json:"shortId"`
	// ByID are the disk's /dev/disk/by-id names.
	ByID []string `json:"byId,omitempty"`
	// Eligible says whether the disk may be installed to.
	Eligible bool `json:"eligible"`
	// Reasons say why the disk is not eligible.
	Reasons []string `json:"reasons,omitempty"`
	// HasData says whether the disk holds partitions or filesystems, so that installing needs confirmation.
	HasData bool `json:"hasData"`
	// Signatures are the filesystems and partition tables found on the disk.
	Signatures []string `json:"signatures,omitempty"`
}

// Disk is a whole disk as the installer found it.
type Disk struct {
	// Name is the kernel's name, e.g. nvme0n1: it can change from boot to boot.
	Name string `json:"name"`
	// Path is the device file, /dev/<name>.
	Path string `json:"path"`
	// Model is the model the disk reports.
	Model string `json:"model,omitempty"`
	// Serial is the serial number the disk reports.
	Serial string `json:"serial,omitempty"`
	// WWN is the disk's World Wide Name.
	WWN string `json:"wwn,omitempty"`
	// Size is the disk's size in bytes.
	Size int64 `json:"size"`
	// LogicalBlockSize is the sector size in bytes that partitions are counted in.
	LogicalBlockSize int `json:"logicalBlockSize"`
	// PhysicalBlockSize is the size in bytes the disk writes at once.
	PhysicalBlockSize int `json:"physicalBlockSize"`
	// Rotational says whether the disk spins.
	Rotational bool `json:"rotational"`
	// Removable says whether the medium can be removed (CD, some USB sticks).
	Removable bool `json:"removable"`
	// ReadOnly says whether the disk cannot be written to.
	ReadOnly bool `json:"readOnly"`
	// Transport is how the disk is attached: nvme, sata, virtio, scsi, usb, cdrom or unknown.
	Transport string `json:"transport"`
	// Partitions are the kernel's names of the disk's partitions.
	Partitions []string `json:"partitions,omitempty"`
}

func (Ready) EventName() Name { return NameReady }

// Screen is emitted by the interactive installer each time what its
// screen shows changes, and by the installed appliance each time its
// status screen changes, so that automation can follow and drive them.
// The fields besides screen, note and exported depend on the screen.
type Screen struct {
	// Screen is the screen: welcome, secure-boot, disks, advanced, confirm, upgrade, progress, done or failed in the installer; status on the appliance.
	Screen string `json:"screen"`
	// Note is a line under the screen about what just went wrong (a refused key, a kernel error).
	Note string `json:"note,omitempty"`
	// Exported is where the logs were written by Export logs.
	Exported string `json:"exported,omitempty"`
	*DisksScreen
	*SecureBootScreen
	*ConfirmScreen
	*AdvancedScreen
	*FailedScreen
	*StatusScreen
}

// DisksScreen is present on the disks screen.
type DisksScreen struct {
	// Disks are the disks listed; null when there are none.
	Disks []ScreenDisk `json:"disks"`
}

// ScreenDisk is one disk in the disks screen's list.
type ScreenDisk struct {
	// ShortID is what people type to confirm the disk.
	ShortID string `json:"shortId"`
	// Name is the kernel's name of the disk, e.g. nvme0n1.
	Name string `json:"name"`
	// Serial is the disk's serial number, "" if it has none.
	Serial string `json:"serial"`
	// Eligible says whether the disk may be installed to.
	Eligible bool `json:"eligible"`
	// HasData says whether the disk holds partitions or filesystems.
	HasData bool `json:"hasData"`
	// Selected says whether the cursor is on this disk.
	Selected bool `json:"selected"`
	// Installed is the version of this product installed on the disk, "" when it holds none.
	Installed string `json:"installed,omitempty"`
	// Upgradable says whether u upgrades that installation in place, keeping its data.
	Upgradable bool `json:"upgradable,omitempty"`
}

// SecureBootScreen is present on the secure-boot screen (key enrollment).
type SecureBootScreen struct {
	// Writes are the variables the enrollment would write, in order: db, KEK, PK. The screen is shown when the firmware is in Setup Mode and the image holds keys.
	Writes []string `json:"writes"`
	// MicrosoftKeys says whether Microsoft's CAs are enrolled with the product's keys (m toggles it).
	MicrosoftKeys bool `json:"microsoftKeys"`
	// Enroll says whether enrolling is chosen so far (from an earlier visit); the screen's menu confirms it.
	Enroll bool `json:"enroll"`
}

// ConfirmScreen is present on the confirm screen.
type ConfirmScreen struct {
	// ShortID is the id to type to confirm.
	ShortID string `json:"shortId"`
	// Disk is the kernel's name of the disk to be erased.
	Disk string `json:"disk"`
	// HasData says whether the disk holds partitions or filesystems.
	HasData bool `json:"hasData"`
	// Typed is how many characters have been typed (not what: enough to follow typing).
	Typed int `json:"typed"`
	// EnrollKeys says whether the install enrolls the Secure Boot keys after the disk is verified.
	EnrollKeys bool `json:"enrollKeys"`
}

// AdvancedScreen is present on the advanced (options) screen.
type AdvancedScreen struct {
	// DataSize is the data partition size as typed so far ("" for the rest of the disk).
	DataSize string `json:"dataSize"`
	// Hostname is the hostname as typed so far ("" derives one).
	Hostname string `json:"hostname"`
	// Field is the field being edited: 0 data size, 1 hostname, 2 and on the settings in order.
	Field int `json:"field"`
	// Settings are the product's per-machine settings, in declaration order; absent when it has none.
	Settings []ScreenSetting `json:"settings,omitempty"`
}

// ScreenSetting is one per-machine setting on the advanced screen.
type ScreenSetting struct {
	// Name is the setting's name.
	Name string `json:"name"`
	// Type is string, int, bool or list.
	Type string `json:"type"`
	// Value is the value as typed so far.
	Value string `json:"value"`
	// Required is true when the setting has no default: the machine must be given a value.
	Required bool `json:"required"`
	// Error says why the last save refused the value; absent when it did not.
	Error string `json:"error,omitempty"`
}

// FailedScreen is present on the failed screen.
type FailedScreen struct {
	// Code says what failed, as in the error event; absent when the failure has none.
	Code errcode.Code `json:"code,omitempty"`
	// Message is the failure for people.
	Message string `json:"message"`
	// Wrote says whether the disk had been written to before the failure.
	Wrote bool `json:"wrote"`
}

// StatusScreen is present on the appliance's status screen.
type StatusScreen struct {
	// Addresses are the machine's IP addresses shown.
	Addresses []string `json:"addresses"`
	// Services is the number of services listed.
	Services int `json:"services"`
	// Health is each service listed with its health, as the screen shows it.
	Health []ServiceHealthStatus `json:"health"`
	// SecureBoot says whether the firmware verified this boot (Secure Boot on).
	SecureBoot bool `json:"secureBoot"`
	// SetupMode says whether the firmware is in Setup Mode (no platform key enrolled).
	SetupMode bool `json:"setupMode"`
	// Lockdown is the kernel's lockdown mode (none, integrity or confidentiality); "" without the lockdown LSM.
	Lockdown string `json:"lockdown"`
}

func (Screen) EventName() Name { return NameScreen }

// Plan is emitted by the installer when it has planned an install,
// before it writes anything.
type Plan struct {
	// Plan is the install plan, as installer --plan prints it (internal/installplan.Plan).
	Plan any `json:"plan"`
}

func (Plan) EventName() Name { return NamePlan }

// Progress is emitted by the installer as each install step starts and,
// while it writes, every tenth of a second or so.
type Progress struct {
	// Step is the step under way.
	Step step.Name `json:"step"`
	// Percent is how far the whole install is, 0 to 100.
	Percent int `json:"percent"`
	// Seconds is the time since the install started; absent for the first step.
	Seconds float64 `json:"seconds,omitempty"`
	*Written
}

// Written is present from the first write to the disk on.
type Written struct {
	// Bytes is what has been written to the disk so far.
	Bytes int64 `json:"bytes"`
	// Total is what the install expects to write.
	Total int64 `json:"total"`
}

func (Progress) EventName() Name { return NameProgress }

// Installed is emitted by the installer when an install has finished and
// was verified.
type Installed struct {
	// Disk is the kernel's name of the disk installed to.
	Disk string `json:"disk"`
	// Serial is the disk's serial number, "" if it has none.
	Serial string `json:"serial"`
	// BootEntry is the UEFI boot entry created, e.g. Boot0003.
	BootEntry string `json:"bootEntry"`
	// OurEntries are the boot entries labelled with the product after the install (null if none could be read).
	OurEntries []string `json:"ourEntries"`
	// Seconds is how long the install took.
	Seconds float64 `json:"seconds"`
	// Bytes is what was written to the disk.
	Bytes int64 `json:"bytes"`
	// After is what the installer does next: reboot or poweroff (unattended), "" (interactive: the finish screen).
	After string `json:"after"`
	// Version is the product version installed.
	Version string `json:"version"`
}

func (Installed) EventName() Name { return NameInstalled }

// Upgraded is emitted by the installer when it upgraded an installation
// in place (install.yaml mode: upgrade, or the interactive installer's
// upgrade screen): the new version is in the installation's inactive
// slot and boots once on trial at the next boot; /data and the
// machine's identity are as they were.
type Upgraded struct {
	// Disk is the kernel name of the upgraded disk.
	Disk string `json:"disk"`
	// From is the version that was installed.
	From string `json:"from"`
	// Version is the new version.
	Version string `json:"version"`
	// Slot is the slot written: A or B.
	Slot string `json:"slot"`
	// BootEntry is the new slot's Boot#### entry, which BootNext names.
	BootEntry string `json:"bootEntry"`
	// Seconds is how long the upgrade took.
	Seconds float64 `json:"seconds"`
	// After is what happens next: reboot or poweroff (unattended), "" (interactive: the finish screen).
	After string `json:"after"`
}

func (Upgraded) EventName() Name { return NameUpgraded }

// LogsExported is emitted by the installer when Export logs has written
// the log bundle to a USB stick.
type LogsExported struct {
	// Path is where the bundle was written, for people.
	Path string `json:"path"`
}

func (LogsExported) EventName() Name { return NameLogsExported }

// Error is emitted when something fails: by the installer (then it shows
// the failure screen) and by the appliance at boot (then it stays up
// showing what to do). Services that do not do their job are reported
// by runtime-degraded instead.
type Error struct {
	// Code says what failed (see Error codes below).
	Code errcode.Code `json:"code"`
	// Message is the failure for people.
	Message string `json:"message"`
	// Service is the service that is not staying up (code service-failing).
	Service string `json:"service,omitempty"`
	*AnswersPosition
}

// AnswersPosition is present for a malformed install.yaml (code
// answers-invalid).
type AnswersPosition struct {
	// Line is the line of install.yaml, from 1; 0 when the error is about the whole file.
	Line int `json:"line"`
	// Field is the dotted path of the field, e.g. network.address; "" for syntax errors.
	Field string `json:"field"`
}

func (Error) EventName() Name { return NameError }

// RuntimeReady is emitted by the installed appliance as soon as every
// service is healthy (it does not wait for start periods to end when
// all are already healthy), with the addresses it has by then: the
// first time it waits up to 20 s for the network to give it one. After
// a runtime-degraded event it is emitted again once every service is
// healthy again. A product without services is ready at once.
type RuntimeReady struct {
	// Product is the product's name.
	Product string `json:"product"`
	// Version is the product's version.
	Version string `json:"version"`
	// Hostname is the machine's hostname.
	Hostname string `json:"hostname"`
	// MachineID is /etc/machine-id.
	MachineID string `json:"machineID"`
	// Data is where the data partition is mounted.
	Data string `json:"data"`
	// DataPartUUID is the data partition's PARTUUID.
	DataPartUUID guid.GUID `json:"dataPartUUID"`
	// ESPPartUUID is the PARTUUID of the EFI system partition booted from.
	ESPPartUUID guid.GUID `json:"espPartUUID"`
	// BootCurrent is the UEFI BootCurrent as four hex digits (0003), "" without UEFI variables.
	BootCurrent string `json:"bootCurrent"`
	// Addresses are the machine's IP addresses, without prefix length, ready to put in a URL.
	Addresses []string `json:"addresses"`
	// Services are the services, their state and health.
	Services []ServiceStatus `json:"services"`
	// SecureBoot says whether the firmware verified this boot (Secure Boot on); false without UEFI variables.
	SecureBoot bool `json:"secureBoot"`
	// SetupMode says whether the firmware is in Setup Mode: no platform key, nothing is verified.
	SetupMode bool `json:"setupMode"`
	// Lockdown is the kernel's lockdown mode (none, integrity or confidentiality); "" without the lockdown LSM.
	Lockdown string `json:"lockdown"`
	// Uptime is the seconds since the kernel started.
	Uptime float64 `json:"uptime"`
	// InitStarted is the seconds since the kernel started when it ran /init, as its log says: the kernel's part of Uptime (0 if the log no longer says).
	InitStarted float64 `json:"initStarted"`
}

// ServiceStatus is one service in the runtime-ready event.
type ServiceStatus struct {
	// Name is the service's name from the product.
	Name string `json:"name"`
	// State is the service's state.
	State servicestate.State `json:"state"`
	// Health is the service's health.
	Health servicestate.Health `json:"health"`
	// PID is the service's process, 0 when it is not running.
	PID int `json:"pid"`
	// Restarts is how often the service was started after the first time.
	Restarts int `json:"restarts"`
}

func (RuntimeReady) EventName() Name { return NameRuntimeReady }

// RuntimeDegraded is emitted by the installed appliance when a service
// becomes unhealthy: before the appliance was ready (a service failed
// its checks after its start period, or does not stay up), or after
// (a healthy appliance lost a service's health). It is emitted once
// until every service is healthy again, which is announced by another
// runtime-ready event. A service that is still starting does not make
// the appliance degraded.
type RuntimeDegraded struct {
	// Product is the product's name.
	Product string `json:"product"`
	// Version is the product's version.
	Version string `json:"version"`
	// Services are the services that are not healthy.
	Services []ServiceHealthStatus `json:"services"`
}

// ServiceHealthStatus is one service and its health.
type ServiceHealthStatus struct {
	// Name is the service's name from the product.
	Name string `json:"name"`
	// Health is the service's health.
	Health servicestate.Health `json:"health"`
	// Reason says why, e.g. "GET /health: 503" or "exit status 2; restarting in 4s".
	Reason string `json:"reason,omitempty"`
}

func (RuntimeDegraded) EventName() Name { return NameRuntimeDegraded }

// ServiceStart is emitted by the appliance each time it starts a service.
type ServiceStart struct {
	// Service is the service's name.
	Service string `json:"service"`
	// PID is the new process.
	PID int `json:"pid"`
	// Restarts is how often the service was started before.
	Restarts int `json:"restarts"`
}

func (ServiceStart) EventName() Name { return NameServiceStart }

// ServiceExit is emitted by the appliance when a service exits or cannot
// be started; unless its restart policy says otherwise, it is restarted
// after restartIn seconds.
type ServiceExit struct {
	// Service is the service's name.
	Service string `json:"service"`
	// Status is how it ended, e.g. "exit status 2", "killed by signal 9 (SIGKILL)", "cannot start: ...".
	Status string `json:"status"`
	// RanFor is how many seconds it ran.
	RanFor float64 `json:"ranFor"`
	// Restarting says whether it will be started again: false when its restart policy (never, or on-failure after exit status 0) ends it.
	Restarting bool `json:"restarting"`
	// RestartIn is the seconds until the restart, 0 when it is not restarted.
	RestartIn float64 `json:"restartIn"`
	// Restarts is how often the service had been started before this run.
	Restarts int `json:"restarts"`
	*ProcessExit
}

// ProcessExit is present when the service's process had started.
type ProcessExit struct {
	// PID is the process that exited.
	PID int `json:"pid"`
	// Code is the exit status, -1 when a signal killed it.
	Code int `json:"code"`
	// Signal is the signal that killed it, e.g. SIGKILL.
	Signal string `json:"signal,omitempty"`
}

func (ServiceExit) EventName() Name { return NameServiceExit }

// ServiceStop is emitted by the appliance when it has stopped a service
// for a shutdown.
type ServiceStop struct {
	// Service is the service's name.
	Service string `json:"service"`
	// PID is the process stopped.
	PID int `json:"pid"`
	// Status is how it ended, e.g. "exit status 0" or "killed by signal 15 (SIGTERM)".
	Status string `json:"status"`
}

func (ServiceStop) EventName() Name { return NameServiceStop }

// ServiceHealth is emitted by the appliance each time a service's
// health changes: starting (just started, or waiting for the services
// it starts after), healthy, unhealthy. A service with a health check
// is healthy once a check passes and unhealthy after retries failed
// checks in a row (failures within its start period do not count until
// it was once healthy). The first check runs a second after the start
// (after interval, if shorter), and so do the next while the service
// is starting within its start period; otherwise they run every
// interval. A service without check is healthy once it has run for 2 s.
// A service that is not running (crashed, waiting to restart, failed)
// is unhealthy; one that ended as its restart policy allows (exit
// status 0 with on-failure or never) stays healthy.
type ServiceHealth struct {
	// Service is the service's name.
	Service string `json:"service"`
	// Health is its health now.
	Health servicestate.Health `json:"health"`
	// Previous is its health before.
	Previous servicestate.Health `json:"previous"`
	// Reason is the last check's result or the process's state, e.g. "GET /health: 503", "connect 127.0.0.1:2379: connection refused", "exit status 2; restarting in 4s".
	Reason string `json:"reason"`
}

func (ServiceHealth) EventName() Name { return NameServiceHealth }

// Network is emitted by the appliance, and by the installer when it asks
// the network for its answers, each time an interface gets an address
// (static, or a DHCP lease or its renewal).
type Network struct {
	// Interface is the network interface, e.g. eth0.
	Interface string `json:"interface"`
	// Mode is how the address was configured: dhcp or static.
	Mode string `json:"mode"`
	// Address is the address with prefix length, e.g. 10.0.2.15/24.
	Address string `json:"address"`
	// Gateway is the default gateway, if there is one.
	Gateway string `json:"gateway,omitempty"`
	// DNS are the name servers in use, if any.
	DNS []string `json:"dns,omitempty"`
	*Lease
}

// Lease is present for a DHCP lease (mode dhcp).
type Lease struct {
	// LeaseTime is the lease's length in seconds, 0 for an infinite lease.
	LeaseTime float64 `json:"leaseTime"`
}

func (Network) EventName() Name { return NameNetwork }

// Shutdown is emitted by the appliance when a power-off or reboot was
// requested, before it stops the services.
type Shutdown struct {
	// Action is what happens: power-off or reboot.
	Action string `json:"action"`
	// Reason is what asked for it: a signal's name or "power button".
	Reason string `json:"reason"`
}

func (Shutdown) EventName() Name { return NameShutdown }

// UpdateCheck is emitted by the appliance each time it looks for an
// update: it checked the channel, or read the bundles on a PLINTHUPD
// stick. (A bundle handed to the local command is not looked for: its
// outcome is update-staged or update-refused.)
type UpdateCheck struct {
	// Source is where it looked: the channel file's URL or the stick's mount point.
	Source string `json:"source"`
	// Running is the running version.
	Running string `json:"running"`
	// Available is the newer version found, the one the appliance goes on to download or apply; "" when there is none.
	Available string `json:"available,omitempty"`
	// URL is where the available bundle is: the channel's bundle URL or the file on the stick.
	URL string `json:"url,omitempty"`
	// Size is the available bundle's size in bytes, 0 when not known yet.
	Size int64 `json:"size,omitempty"`
	// Error says why the check failed, when it did (the appliance checks again later).
	Error string `json:"error,omitempty"`
}

func (UpdateCheck) EventName() Name { return NameUpdateCheck }

// UpdateDownload is emitted by the appliance while it downloads a
// bundle (at most once a second) and when a download attempt fails and
// is retried.
type UpdateDownload struct {
	// Version is the bundle's version.
	Version string `json:"version"`
	// Bytes is how much of the bundle is downloaded, resumed parts included.
	Bytes int64 `json:"bytes"`
	// Total is the bundle's size in bytes.
	Total int64 `json:"total"`
	// Rate is bytes per second of this attempt.
	Rate float64 `json:"rate"`
	// Attempt counts the download's attempts, from 1.
	Attempt int `json:"attempt"`
	// Retry says why the last attempt failed, when this event announces a retry.
	Retry string `json:"retry,omitempty"`
}

func (UpdateDownload) EventName() Name { return NameUpdateDownload }

// UpdateRefused is emitted by the appliance when it will not apply a
// bundle: nothing was written to a slot.
type UpdateRefused struct {
	// Version is the bundle's version, "" when its manifest could not be read.
	Version string `json:"version,omitempty"`
	// Source is where the bundle came from.
	Source string `json:"source"`
	// Code is why, for programs: no-update-key, untrusted-signer, bad-signature, damaged, other-product, needs-intermediate, unknown-parts, incomparable, not-newer, downgrade, failed-before, superseded or busy.
	Code string `json:"code"`
	// Reason is why, for people, and what to do.
	Reason string `json:"reason"`
}

func (UpdateRefused) EventName() Name { return NameUpdateRefused }

// UpdateStaged is emitted by the appliance when a bundle's runtime is
// written to the inactive slot and read back, and BootNext names it:
// the appliance reboots into it next, once.
type UpdateStaged struct {
	// Version is the new version.
	Version string `json:"version"`
	// Running is the running version.
	Running string `json:"running"`
	// Slot is the slot written: A or B.
	Slot string `json:"slot"`
}

func (UpdateStaged) EventName() Name { return NameUpdateStaged }

// UpdateCommitted is emitted by the appliance when a new version booted
// on trial kept every service healthy for the time the product asks:
// BootOrder now starts it, and the fallback loader is its copy.
type UpdateCommitted struct {
	// Version is the committed version, the one running.
	Version string `json:"version"`
	// Previous is the version it replaced, kept in the other slot.
	Previous string `json:"previous"`
	// Slot is the committed slot: A or B.
	Slot string `json:"slot"`
	// Seconds is the time from boot to commit.
	Seconds float64 `json:"seconds"`
}

func (UpdateCommitted) EventName() Name { return NameUpdateCommitted }

// UpdateFailed is emitted by a version booted on trial that gives up:
// its services were not all healthy in time. The appliance then reboots
// into the committed version, which reports update-rolled-back.
type UpdateFailed struct {
	// Version is the version on trial, the one running.
	Version string `json:"version"`
	// Reason says which services were not healthy and why.
	Reason string `json:"reason"`
}

func (UpdateFailed) EventName() Name { return NameUpdateFailed }

// UpdateRolledBack is emitted by the committed version when it boots
// after a trial of another version that did not commit: that version
// gave up (update-failed), or panicked, hung (the watchdog reset the
// machine) or lost power, and the firmware booted BootOrder's first
// entry again. The failed version is not tried again.
type UpdateRolledBack struct {
	// Version is the version that failed.
	Version string `json:"version"`
	// Running is the committed version, running again.
	Running string `json:"running"`
	// Reason is what the failed version said, or that its trial boot did not commit.
	Reason string `json:"reason"`
}

func (UpdateRolledBack) EventName() Name { return NameUpdateRolledBack }

// E2EStep is emitted by the end-to-end tests' runner image (not by
// products) after each command it runs.
type E2EStep struct {
	// Index is the step's position in the runner's list, from 0.
	Index int `json:"index"`
	// Argv is the command line.
	Argv []string `json:"argv"`
	// Exit is the exit status, -1 when the command could not run.
	Exit int `json:"exit"`
	// Output is the command's standard output and error.
	Output string `json:"output"`
	// Seconds is how long the command ran.
	Seconds float64 `json:"seconds"`
}

func (E2EStep) EventName() Name { return NameE2EStep }

// E2EDone is emitted by the end-to-end tests' runner image when it has
// run every step, before it powers off or reboots.
type E2EDone struct{}

func (E2EDone) EventName() Name { return NameE2EDone }
