// Package errcode lists the codes of the "error" event: what went wrong,
// in a word automation can act on. The installer's planning
// (internal/installplan), the install (internal/install), the screens
// (internal/wizard), the installer and the appliance supervisor all name
// their failures with these values, so every code an event can carry is
// listed here, once.
package errcode

import "fmt"

// Code is the "code" field of an "error" event.
type Code string

// Installer: refusals before anything is written.
const (
	// AnswersInvalid: the answers file install.yaml is malformed; the event adds its line and field.
	AnswersInvalid Code = "answers-invalid"
	// AnswersUnavailable: the answers URL (SMBIOS OEM string
	// plinth.answers-url, else the one built into the image) cannot give
	// this machine its answers, and waiting will not mend it: the server
	// refused (403, 401, another status than 404, 408, 429 and 5xx), its
	// certificate is not trusted, the URL template needs a value this
	// machine lacks, or the OEM strings are ambiguous.
	AnswersUnavailable Code = "answers-unavailable"
	// NoDisk: no disk is there, or none matches the answers' selector.
	NoDisk Code = "no-disk"
	// DiskAmbiguous: the selector matches more than one disk.
	DiskAmbiguous Code = "disk-ambiguous"
	// DiskIneligible: the disk cannot be installed to (boot medium, mounted, read-only, ...).
	DiskIneligible Code = "disk-ineligible"
	// DiskTooSmall: the disk cannot hold Plinth's layout at any data partition size.
	DiskTooSmall Code = "disk-too-small"
	// DiskHasData: the disk holds partitions or filesystems and the answers do not say wipe: true.
	DiskHasData Code = "disk-has-data"
	// MachineTooSmall: the machine has less memory or fewer CPUs than the product needs.
	MachineTooSmall Code = "machine-too-small"
	// DataSizeInvalid: the data partition size asked for is below the
	// minimum or does not fit on the chosen disk; unlike disk-too-small,
	// a smaller size (or the rest of the disk) does fit.
	DataSizeInvalid Code = "data-size-invalid"
	// Internal: a failure that is a bug in Plinth rather than a fact about the machine.
	Internal Code = "internal"
	// PayloadMissing: the installer image lacks the runtime image or its manifest.
	PayloadMissing Code = "payload-missing"
	// PayloadCorrupt: the runtime image does not match its manifest: the medium is damaged.
	PayloadCorrupt Code = "payload-corrupt"
	// Sysinfo: the machine's CPUs and memory could not be read.
	Sysinfo Code = "sysinfo"
	// Discover: the disks could not be listed.
	Discover Code = "discover"
	// DiskChanged: the disk chosen interactively is gone or is no longer the same disk.
	DiskChanged Code = "disk-changed"
	// DiskOpen: the target disk could not be opened for writing.
	DiskOpen Code = "disk-open"
	// SecureBootRequired: the answers say secure-boot: require, and the
	// firmware would not verify the installed system: Secure Boot is not
	// on with the product's certificate in db, and the keys cannot be
	// enrolled (not in Setup Mode, or the image has no keys).
	SecureBootRequired Code = "secure-boot-required"
	// SecureBootKeys: the installer image's Secure Boot keys are incomplete or malformed.
	SecureBootKeys Code = "secure-boot-keys"
	// UpgradeNoInstallation: an upgrade was asked for, and no disk (or not
	// the one selected) holds a readable installation of the product.
	UpgradeNoInstallation Code = "upgrade-no-installation"
	// UpgradeOtherProduct: the disk selected for an upgrade holds an installation of another product.
	UpgradeOtherProduct Code = "upgrade-other-product"
	// UpgradeNotNewer: the installer's version is not newer than the installed one, so it does not upgrade it.
	UpgradeNotNewer Code = "upgrade-not-newer"
	// UpgradeTrialPending: the installation has an update staged for a
	// trial boot that has not ended; boot the installed system once so
	// that it commits or rolls back, then upgrade.
	UpgradeTrialPending Code = "upgrade-trial-pending"
)

// Installer: failures after the target disk was written to (the error
// event's screen says the disk does not boot as it is).
const (
	// InstallWrite: writing the partitions and filesystems failed.
	InstallWrite Code = "install-write"
	// BootEntry: the UEFI boot entry could not be created.
	BootEntry Code = "boot-entry"
	// Verify: reading back what was written found a difference.
	Verify Code = "verify"
	// SecureBootNotSetupMode: the firmware is not in Setup Mode, or
	// refused a key as if it were not (the disk is installed; the keys are
	// not, or not all).
	SecureBootNotSetupMode Code = "secure-boot-not-setup-mode"
	// SecureBootEnroll: enrolling the Secure Boot keys failed otherwise, or
	// reading them back found them missing (the disk is installed).
	SecureBootEnroll Code = "secure-boot-enroll"
	// ExportLogs: the logs could not be written to a USB stick.
	ExportLogs Code = "export-logs"
	// UpgradeWrite: an upgrade's write to the installation's EFI system
	// partition or boot variables failed (staging the new version into
	// the inactive slot, repairing the boot entries, arming the trial
	// boot); the installed version still boots.
	UpgradeWrite Code = "upgrade-write"
)

// Appliance: failures at boot of an installed system.
const (
	// ESPNotFound: the EFI system partition the system booted from was not found.
	ESPNotFound Code = "esp-not-found"
	// ConfigMissing: the EFI system partition has no config plinth.json.
	ConfigMissing Code = "config-missing"
	// ConfigInvalid: the config plinth.json is not valid.
	ConfigInvalid Code = "config-invalid"
	// DataPartitionMissing: no partition matches the config's data partition.
	DataPartitionMissing Code = "data-partition-missing"
	// DataPartitionAmbiguous: more than one partition matches the data partition.
	DataPartitionAmbiguous Code = "data-partition-ambiguous"
	// DataPartitionUnusable: the data partition's filesystem cannot be used.
	DataPartitionUnusable Code = "data-partition-unusable"
	// DataPartitionMount: mounting the data partition failed.
	DataPartitionMount Code = "data-partition-mount"
	// Services: the services in the config could not be set up.
	Services Code = "services"
	// ServiceFailing: a service does not stay up; the event names it.
	ServiceFailing Code = "service-failing"
)

// Test images only.
const (
	// E2ESteps: the end-to-end test runner could not read its steps.
	E2ESteps Code = "e2e-steps"
)

// All returns every code, in the order of this file.
func All() []Code {
	return []Code{
		AnswersInvalid, AnswersUnavailable, NoDisk, DiskAmbiguous, DiskIneligible, DiskTooSmall, DiskHasData,
		MachineTooSmall, DataSizeInvalid, Internal, PayloadMissing, PayloadCorrupt, Sysinfo,
		Discover, DiskChanged, DiskOpen, SecureBootRequired, SecureBootKeys,
		UpgradeNoInstallation, UpgradeOtherProduct, UpgradeNotNewer, UpgradeTrialPending,
		InstallWrite, BootEntry, Verify, SecureBootNotSetupMode, SecureBootEnroll, ExportLogs, UpgradeWrite,
		ESPNotFound, ConfigMissing, ConfigInvalid, DataPartitionMissing, DataPartitionAmbiguous,
		DataPartitionUnusable, DataPartitionMount, Services, ServiceFailing,
		E2ESteps,
	}
}

// Known reports whether c is one of All.
func (c Code) Known() bool {
	for _, k := range All() {
		if c == k {
			return true
		}
	}
	return false
}

// UnmarshalText accepts only known codes, so that decoding an event
// checks its code.
func (c *Code) UnmarshalText(b []byte) error {
	if !Code(b).Known() {
		return fmt.Errorf("errcode: unknown code %q", b)
	}
	*c = Code(b)
	return nil
}
