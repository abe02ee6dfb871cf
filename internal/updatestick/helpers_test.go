package updatestick

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/plinth-os/plinth/internal/bundle"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
	"github.com/plinth-os/plinth/internal/testcert"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

const product = "Acme DB"

var built = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// keys are the product's update key and a stranger's.
type keys struct{ vendor, mallory *testcert.Pair }

func newKeys(t *testing.T) keys {
	t.Helper()
	o := testcert.Options{NotBefore: built.AddDate(-1, 0, 0), NotAfter: built.AddDate(50, 0, 0)}
	return keys{vendor: testcert.Must(t, "Acme Updates", o), mallory: testcert.Must(t, "Mallory", o)}
}

// makeBundle returns a bundle of product prod at version with one part,
// signed by key.
func makeBundle(t *testing.T, key *testcert.Pair, prod, version, minVersion string) []byte {
	t.Helper()
	part := bytes.Repeat([]byte(version+" runtime "), 300)
	var buf bytes.Buffer
	m := bundle.Manifest{Product: prod, Version: version, MinVersion: minVersion, Built: built}
	parts := []bundle.Part{{Name: bundle.PartRuntime, Size: int64(len(part)), Data: bytes.NewReader(part)}}
	if err := bundle.Write(&buf, m, parts, key.Key, key.Cert); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// changeByte returns b with the byte at off (from the end if negative)
// changed.
func changeByte(b []byte, off int) []byte {
	b = bytes.Clone(b)
	if off < 0 {
		off += len(b)
	}
	b[off] ^= 0x01
	return b
}

// writeFiles writes files (slash paths relative to dir) into dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// formatFAT makes path a FAT filesystem of size bytes (or of the file's
// size, if it exists and size is 0) labelled label, with serial id and
// files in it.
func formatFAT(t *testing.T, path string, size int64, fatType int, label string, id uint32, files map[string][]byte) {
	t.Helper()
	if size == 0 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		size = fi.Size()
	}
	testdisk.Sparse(t, path, size)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := fstest.MapFS{}
	for name, data := range files {
		src[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	if err := vfat.Format(f, 0, size, vfat.Options{FATType: fatType, Label: label, VolumeID: id, Source: src}); err != nil {
		t.Fatal(err)
	}
}

// machine is the fake machine of the Find, Mount and Watch tests:
//
//	vda  the boot disk: GPT, vda1 ESP, vda2 FAT16 PLINTHUPD  -> never
//	sdb  GPT: sdb1 FAT16 PLINTHUPD, sdb2 without a node      -> sdb1
//	sdc  superfloppy FAT32 PLINTHUPD                         -> sdc
//	sdd  superfloppy FAT "plinthupd" (mkfs.fat)              -> error
//	sde  superfloppy FAT PLINTHUPD2                          -> none
//	sdf  superfloppy exFAT PLINTHUPD                         -> error
//	sdg  superfloppy FAT PLINTHCFG                           -> none
//	sdh  PLINTHUPD, but sysfs says no medium (size 0)        -> none
//	sr0  in sysfs, no device node                            -> none
func machine(t *testing.T) partfindtest.System {
	t.Helper()
	s := partfindtest.Build(t,
		partfindtest.Disk{Name: "vda", Parts: []partfindtest.Part{{TypeCode: "EF00", SizeMiB: 16}, {TypeCode: "0700"}}},
		partfindtest.Disk{Name: "sdb", Parts: []partfindtest.Part{{TypeCode: "0700", SizeMiB: 16}, {TypeCode: "8300"}}},
		partfindtest.Disk{Name: "sdc"}, partfindtest.Disk{Name: "sdd"}, partfindtest.Disk{Name: "sde"},
		partfindtest.Disk{Name: "sdf"}, partfindtest.Disk{Name: "sdg"}, partfindtest.Disk{Name: "sdh"},
	)
	formatFAT(t, s.Device("vda1"), 16<<20, 0, "EFI", 0, nil)
	formatFAT(t, s.Device("vda2"), 16<<20, 0, Label, 0xB007, nil)
	formatFAT(t, s.Device("sdb1"), 16<<20, 16, Label, 0x1234ABCD, nil)
	formatFAT(t, s.Device("sdc"), 0, 32, Label, 0xC0FFEE, nil)
	testdisk.Run(t, testdisk.Tool(t, "mkfs.fat"), "-n", "plinthupd", s.Device("sdd"))
	formatFAT(t, s.Device("sde"), 0, 0, Label+"2", 0, nil)
	testdisk.Run(t, testdisk.Tool(t, "mkfs.exfat"), "-L", Label, s.Device("sdf"))
	formatFAT(t, s.Device("sdg"), 0, 0, "PLINTHCFG", 0, nil)
	formatFAT(t, s.Device("sdh"), 0, 0, Label, 0, nil)
	writeSys(t, s, "block/sdh/size", "0")
	writeSys(t, s, "block/sr0/size", "2097152")
	return s
}

func writeSys(t *testing.T, s partfindtest.System, rel, content string) {
	t.Helper()
	s.WriteSys(t, rel, content+"\n")
}

// devices returns the device names of vols, relative to s.Dev.
func devices(s partfindtest.System, vols []Volume) []string {
	var names []string
	for _, v := range vols {
		rel, err := filepath.Rel(s.Dev, v.Device)
		if err != nil {
			rel = v.Device
		}
		names = append(names, rel)
	}
	return names
}
