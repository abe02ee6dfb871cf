// Package upgrade upgrades an installed Plinth appliance in place from
// the installer: booted from an installer medium on a machine whose disk
// already holds an installation of the same product, it puts the
// installer's runtime UKI into the installation's inactive A/B slot and
// arms one trial boot of it, instead of erasing the disk. The appliance
// then commits the new version once its services are healthy, or the
// firmware goes back to the installed one by itself (internal/updater,
// cmds/appliance); this package only stages and arms, exactly as an
// update from a bundle does (package abslot), with the installer's
// payload in place of a bundle.
//
// # What is kept
//
// The disk's partition table, the data partition (never opened, let alone
// mounted or written) and the installation's config on the ESP,
// EFI/plinth/plinth.json: hostname, machine ID, network, settings. The
// installed (committed) slot, its boot entry and the removable-media
// fallback copy stay as they are, so a power cut at any point boots the
// installed version.
//
// # Steps
//
// Find lists the installations on the machine's disks by reading each
// disk's GPT and its EFI system partitions through internal/vfat, without
// mounting anything: a disk with an ESP holding EFI/plinth/plinth.json.
// The boot medium is never looked at. MakePlan picks the disk (the one
// the operator chose, the one install.yaml's disk: selects, or the one
// disk holding the product) and refuses, before anything is written, a
// disk that holds another product, a version that is not older than the
// installer's (bundle.CompareVersions), an installation with a trial boot
// still pending, and a disk that is ineligible for the installer (boot
// medium, mounted, read-only). Run then carries the plan out:
//
//  1. mount the installation's ESP read-write (through an esp.Mounter);
//  2. convert a layout from before slots (abslot.Convert: the installed
//     UKI becomes slot A, committed);
//  3. copy shim and MokManager, when the installer carries the shim chain
//     and the ESP (not a legacy one) has none: shim's presence is what
//     makes the appliance boot through it, so MokManager goes first and
//     shim last;
//  4. repair (abslot.Repair): the committed slot's UKI is checked against
//     its recorded digest (restored from the fallback copy if need be),
//     and both slots' boot entries are made right with the ESP's HD()
//     node from its GPT entry, the committed one first in BootOrder;
//  5. stage the new UKI into the other slot (abslot.Stage: temporary
//     file, digest check, rename, read-back);
//  6. arm the trial (abslot.Trial: BootNext names "<Product> <slot>");
//  7. unmount, and read the ESP back from the raw disk: the new slot's
//     UKI, slots.json staged with the trial armed, plinth.json unchanged.
//
// Every refusal and failure carries a code from internal/errcode
// (install.Code), so the installer reports an upgrade as it reports an
// install; install.Wrote tells whether the ESP had been written.
package upgrade
