package testdisk

import (
	"slices"
	"testing"
)

// Mounted is a filesystem that Mount mounted.
type Mounted struct {
	Dir string // the mount point, a directory of its own

	unmount *undo
}

// Mount mounts source with mount(8) on a new temporary directory, args
// going before source (such as "-o", "ro" or "-t", "ext4"), and unmounts
// it when the test ends, before the directory and any loop device attached
// earlier in the test are removed. It needs root: RequireRoot skips the
// test otherwise.
func Mount(t testing.TB, source string, args ...string) *Mounted {
	t.Helper()
	RequireRoot(t, "mount a filesystem")
	mount, umount := Tool(t, "mount"), Tool(t, "umount")
	dir := t.TempDir()
	Run(t, mount, append(slices.Clip(args), source, dir)...)
	m := &Mounted{Dir: dir, unmount: &undo{t: t, argv: []string{umount, dir}}}
	t.Cleanup(m.Unmount)
	return m
}

// Unmount unmounts now, for tests that look at what the kernel left on
// the disk; the cleanup then has nothing left to do.
func (m *Mounted) Unmount() {
	m.unmount.t.Helper()
	m.unmount.run()
}
