// Package datapart finds, checks and mounts the appliance's data
// partition at /data, and creates the directories the payload expects
// there (wal, snapshots, metadata, log).
//
// The partition is found by its GPT unique GUID (PARTUUID), or by its GPT
// name (PARTLABEL) when the config gives only that or the GUID matches
// nothing; never by kernel name. Matches on several disks (cloned disks,
// leftovers of an earlier install) are resolved in favour of the disk the
// appliance booted from, and are an error otherwise.
//
// Check reads the ext4 superblock (with internal/ext4's parser, which
// also verifies the metadata_csum checksum) and refuses a filesystem that
// records errors, or that was not cleanly unmounted and has no journal to
// replay. It is not fsck: a full check in Go is out of scope, and
// e2fsprogs does not ship on the target. An unclean filesystem with a
// journal is mounted, since the kernel replays the journal on mount.
package datapart
