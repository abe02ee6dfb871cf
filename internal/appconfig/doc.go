// Package appconfig defines the installed appliance's configuration: one
// JSON file on the ESP, \EFI\plinth\plinth.json, written by the installer
// (and by mkiso for prebuilt disk images) and read by the appliance
// supervisor at every boot.
//
// The file is the only per-machine state outside the data partition, so
// it is small, strict and self-describing: unknown fields are rejected
// (a typo must not silently drop a setting), "schema" says which version
// of this format it is, and Validate reports every problem at once with
// the field it concerns, because the person reading the message on the
// console has no shell to investigate with.
//
// Marshal is deterministic: the same Config gives the same bytes (fixed
// field order, map keys sorted, two-space indent, trailing newline), so
// image builds stay reproducible. Derive computes the machine ID and
// hostname from stable hardware and partition identifiers, so a reinstall
// on the same machine keeps its identity.
//
// Example:
//
//	{
//	  "schema": 1,
//	  "product": "Plinth",
//	  "version": "1.0.0",
//	  "machineID": "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b",
//	  "hostname": "plinth-3f2a9c",
//	  "esp": {"partUUID": "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
//	  "data": {"partUUID": "0fc63daf-8483-4772-8e79-3d69d8477de4", "label": "plinth-data", "fsType": "ext4"},
//	  "network": {"mode": "dhcp"},
//	  "settings": {"cluster": "east", "peers": ["10.0.0.2:2380"]}
//	}
//
// The services are not here: they belong to the version, not to the
// machine, and come with each runtime image (package productspec,
// /etc/plinth/product.json). Settings are this machine's values for
// them.
package appconfig
