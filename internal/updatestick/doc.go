// Package updatestick finds update bundles on USB sticks, for appliances
// at sites without a network: someone formats a stick as FAT, names it
// PLINTHUPD, copies a bundle onto it and plugs it into the appliance.
//
// # The stick
//
// An update stick is a FAT12/16/32 filesystem labelled exactly PLINTHUPD
// (FAT pads labels with spaces; those do not count), in a partition (MBR
// or GPT: the kernel's partition devices are used) or on the whole disk
// without a partition table. As in internal/answersvol, the filesystem
// decides, never the partition type, and the label is the root
// directory's label entry when there is one (Windows and mlabel may
// update only that), else the boot sector's. The label must match in
// case too: Windows and macOS store FAT labels in capitals whatever was
// typed, so only a stick labelled by hand on Linux can differ, and Find
// then says so instead of ignoring it silently. Windows formats sticks
// over 32 GB as exFAT unless told otherwise; the runtime kernel has no
// exFAT driver, so an exFAT volume labelled PLINTHUPD is reported too,
// with what to do.
//
// The disk the appliance booted from is never opened: nothing on it is
// an update stick, and a leftover label there must not become one.
//
// Finding reads the boot sector and root directory of each device
// (read-only; nothing is mounted or written). Reading the bundles needs
// the kernel's FAT driver (Mount: read-only, nosuid, nodev, noexec),
// because bundles are hundreds of megabytes streamed to the updater.
//
// # Where the bundles are
//
// Files whose names end in ".plinth" (in any case, as FAT does not keep
// case reliably), in the root directory of the stick or in a directory
// named "plinth" (any case) in the root. Nothing deeper is looked at, so
// that a stick that also carries backups or other software is not walked
// through. Names starting with "." are skipped: macOS writes a "._" file
// of metadata beside every file it copies to FAT. The names themselves
// mean nothing (bundle.FileName is only a convention): the signed
// manifest says what a bundle holds.
//
// # Choosing
//
// Bundles opens each file just far enough to check its signature and read
// its manifest, and checks that the file is as long as the manifest says
// (an interrupted copy is the most common damage). A part whose bytes
// were changed is found only when the parts are read: by the updater's
// bundle.Reader while it stages the update into a temporary file, which
// becomes the slot only when it matches. Pick then chooses the newest
// bundle that bundle.Manifest.Applicable allows (the policy every update
// source follows), and says for every other file why not.
//
// # Watching
//
// Watch polls (every 5 s by default) instead of listening for uevents, so
// it needs nothing but sysfs and /dev, and reports each stick once when
// it appears, and again only after it was removed and plugged in again.
package updatestick
