package upgrade

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestRunLoopDevice upgrades an installed disk image attached to a loop
// device, so that the installation is found, and read back after the
// upgrade, through a real block device (the read-back's cache flush
// included). The fake Mounter writes the image file behind the loop
// device (the build host's kernel need not have vfat); the kernel's own
// vfat mount is what the upgrade end-to-end test runs.
func TestRunLoopDevice(t *testing.T) {
	testdisk.RequireRoot(t, "attach a loop device")
	for _, mnt := range []string{"fake"} {
		for _, c := range []struct {
			name string
			in   inst
			shim bool
			w    want
		}{
			{"slots, shim added", inst{product: product, version: "1.0"}, true, want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", shim: true}},
			{"legacy", inst{product: product, version: "1.0", legacy: true}, false,
				want{disk: "vda", slot: abslot.B, from: "1.0", to: "1.1", legacy: true}},
		} {
			t.Run(mnt+" "+c.name, func(t *testing.T) {
				m := newMachine(t, diskSpec{name: "vda", inst: &c.in}, diskSpec{name: "vdb"})
				loopDisk(t, m, "vda")
				if c.in.legacy {
					m.legacyEntry("vda", c.in.shim)
				}
				cfg, data := m.readESP("vda", appconfig.RelPath), m.dataSum("vda")
				_, req := manifest(c.w.to, c.shim)
				req.Answers = parseAnswers(t, "mode: upgrade\n")
				req.Mounter = m.mounter
				res, err := Run(context.Background(), m.env(), req)
				if err != nil {
					t.Fatalf("Run: %v (code %s)", err, install.Code(err))
				}
				c.w.committedUKI = uki(c.w.from)
				m.checkUpgraded(res, c.w, cfg, data, nil)
			})
		}
	}
}

// loopDisk moves disk name's image out of the fake /dev, attaches it to
// a loop device and puts links to the loop device and its ESP partition
// in its place, so that the upgrade reads and mounts real block devices.
func loopDisk(t *testing.T, m *machine, name string) {
	t.Helper()
	img := filepath.Join(t.TempDir(), name+".img")
	if err := os.Rename(m.sys.Device(name), img); err != nil {
		t.Fatal(err)
	}
	m.images[name] = img
	part := m.sys.Device(name + "1")
	r := m.mounter.parts[part]
	r.img = img
	m.mounter.parts[part] = r
	l := testdisk.AttachLoop(t, img, testdisk.LoopOptions{})
	for link, target := range map[string]string{name: l.Dev, name + "1": l.Partition(1)} {
		if err := os.Symlink(target, m.sys.Device(link)); err != nil {
			t.Fatal(err)
		}
	}
}
