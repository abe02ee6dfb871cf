// Package abslot keeps the two runtime slots, A and B, of an installed
// Plinth appliance's EFI system partition and their UEFI boot entries,
// so that an update is booted once on trial and, unless it commits, the
// firmware itself goes back to the version that worked. It is the
// storage and firmware layer only: the appliance (cmds/appliance) reads
// bundles, checks health and decides; this package writes the ESP and
// the boot variables Boot####, BootOrder and BootNext, and nothing else.
//
// # Layout
//
// Paths are relative to the ESP root:
//
//	EFI/plinth/slot-a.efi    runtime UKI of slot A
//	EFI/plinth/slot-b.efi    runtime UKI of slot B
//	EFI/plinth/slots.json    the state (type State)
//	EFI/plinth/shimx64.efi   with the shim chain: shim and MokManager,
//	EFI/plinth/mmx64.efi       shared by both slots (never written here)
//	EFI/BOOT/BOOTX64.EFI     removable-media fallback: a copy of the
//	                         committed slot's chain, as
//	                         bootchain.Chain.Files lists it (the UKI, or
//	                         with shim: shim, grubx64.efi = the UKI,
//	                         mmx64.efi)
//
// Firmware that loses our entries still boots the committed version from
// the fallback path.
//
// Two boot entries, labelled "<Product> A" and "<Product> B", start
// bootchain.Chain.Entry of their slot's UKI on the ESP's HD() node (with
// shim: shim, with the slot's UKI as shim's second stage in the optional
// data, UCS-2). An entry is recognised by its label alone: the label
// names this product's slot and nothing else, so whatever such an entry
// starts, Repair rewrites it to start that slot (an entry left from before
// a reinstall points at an old PARTUUID, for instance). The lowest
// numbered one is kept and rewritten in place; further ones are
// duplicates and removed (as is one stored with other attributes, which
// firmware will not change in place: a new entry replaces it). BootOrder is the committed slot's entry, the
// other slot's, then every other entry in the order it was: entries that
// are not ours are never deleted or renumbered. A second disk holding
// the same product would carry the same labels; as with the installer's
// entry, the two would contend.
//
// # Life of an update
//
//	s, _ := abslot.Open(esp)              // once per boot; Convert a legacy ESP
//	slot, how, _ := s.Booted(vars)        // before Repair
//	failed, _ := s.RolledBack(vars)       // non-nil: emit update-rolled-back
//	changes, _ := s.Repair(vars)
//	t, _ := s.InTrial(vars)               // non-nil: check health, then
//	s.Commit(vars, t.Slot)                //   commit
//	s.Abandon(vars, "health: ...")        //   or give up and reboot
//	slot, _ = s.Stage(vars, r, size, sum, version) // an update
//	s.Trial(vars, slot)                   // then reboot
//
// A slot's status (State, SlotState) is empty, staged (written and
// checked), committed (booted healthy and committed, now or before) or
// failed. The committed slot is State.Committed; after a commit the
// previous one keeps status committed and is the way back: the second
// entry in BootOrder, and what Trial may try again.
//
// # Power cuts
//
// UEFI variables are written one at a time, each atomically (SetVariable),
// and the boot manager deletes BootNext before it starts that option, so
// a trial that panics, hangs until a watchdog resets it, or cannot be
// loaded falls back to BootOrder. For files, every write goes to a
// temporary file beside the target, is synced and checked, and is renamed
// over the target; the directory is then synced and the target read back
// (with its cached pages dropped, so the read reaches the medium).
//
// FAT has no journal. We assume what Linux's vfat does: a rename over an
// existing name rewrites the target's one 32-byte directory entry in
// place to point at the new clusters, so after a cut the name holds the
// old or the new file, never a mix. What FAT does not promise is the
// bookkeeping around it: a cut can leave the temporary name still listed,
// pointing at the same clusters, and the replaced file's clusters
// unreferenced. Removing such a twin would free clusters still in use,
// so a leftover temporary file with the target's size and contents is
// left alone (and another temporary name used); fsck.fat separates and
// frees them. Any other leftover is removed before the next write.
//
// At every step, what the firmware boots next (C is the committed slot,
// T the other one):
//
// Repair: entries are written before BootOrder names them (an entry is
// rewritten in place or created anew, never deleted and recreated), and
// extra ones deleted only after BootOrder stops naming them. A cut leaves BootOrder
// as it was or as wanted: C first either way once Repair has run once. A
// fallback copy is the old or the new file. The committed UKI is checked
// against its recorded SHA-256 and restored from the fallback copy if
// that still has it.
//
// Stage(T): slots.json marks T empty (if it held anything), then T's UKI
// is written to a temporary file and renamed over slot-t.efi, then read
// back, then slots.json marks T staged. No variable is written (except
// deleting a BootNext left naming T), and C's UKI and the fallback are not
// touched: the firmware boots C throughout. A cut leaves T empty, and the
// update is staged again.
//
// Trial(T): Repair; slots.json records the trial; BootNext = T's entry;
// slots.json records the trial as armed. A cut before BootNext boots C,
// and RolledBack clears the unarmed record silently (T stays staged). A
// cut after BootNext boots T once: the trial, which records itself as
// armed if that write was lost. From then on, any boot of C while the
// record is there (BootNext already consumed) is a failed trial: T is
// marked failed with RolledBackReason and the caller reports it.
//
// Commit(T), only in T's trial boot: both entries made right and BootOrder
// = T, C, ...; then (first commit after Convert) the legacy entry and UKI
// removed; then slots.json says T committed and clears the trial; then the
// fallback chain becomes T's. A cut after the BootOrder write boots T,
// which slots.json still calls a trial: the health check runs again and
// Commit repeats. A cut after slots.json boots T with C's copy in the
// fallback path, which Repair replaces. C and T both booted healthy, so
// whichever the firmware starts is a good version.
//
// Abandon: BootNext deleted if it still names T, then T marked failed.
// A cut in between boots C, and RolledBack reports the same failure.
//
// Convert: slot A written from the legacy UKI and read back, then
// slots.json written. Until slots.json exists the ESP is still legacy and
// Convert runs again; no variable is written, and the legacy entry and
// file stay until the first commit, so every cut boots the legacy UKI (or
// its identical copy in slot A).
//
// # Which slot booted
//
// Booted follows BootCurrent to its Boot#### and compares what it starts
// (the loader, or shim's second stage) with each slot's UKI. An entry that
// starts the fallback path, or names a device without a file (the
// firmware then starts that device's fallback path), booted the committed
// slot's copy. If the committed slot cannot be loaded the firmware tries
// the next entry, T: Booted then says T although no trial is recorded,
// and Stage refuses to overwrite it, the only slot known to boot.
package abslot
