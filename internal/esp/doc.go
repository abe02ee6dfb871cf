// Package esp finds the EFI system partition the appliance booted from,
// mounts it read-only and locates the appliance's config on it.
//
// The runtime UKI is built before the disk it will live on exists, so the
// ESP cannot be named on the kernel command line. Instead systemd-stub
// records the partition it was loaded from in the EFI variable
// LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f (a UTF-16
// GUID string). When that variable is missing (another loader) or names
// no partition we can see, the first ESP (by disk name) that holds
// \EFI\plinth\plinth.json is used, and Result.How says so.
package esp
