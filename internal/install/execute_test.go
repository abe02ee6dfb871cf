package install

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/errcode"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/testdisk"
	"github.com/plinth-os/plinth/internal/vfat"
)

// imageInstall plans an install of uki onto an 8 GiB (sparse) image file in a
// fresh directory standing for /dev.
func imageInstall(t *testing.T, uki []byte) (Env, *installplan.Plan) {
	t.Helper()
	dev := t.TempDir()
	const size = 8 << 30
	testdisk.Sparse(t, filepath.Join(dev, "vda"), size)
	d := disk.Disk{Name: "vda", Path: filepath.Join(dev, "vda"), Serial: "IMAGE01", Size: size, LogicalBlockSize: 512, Transport: "virtio"}
	c := installplan.Candidates([]disk.Disk{d}, installplan.Facts{}, installplan.DefaultRequirements())[0]
	sum := sha256.Sum256(uki)
	plan, err := installplan.MakePlan(installplan.Request{Target: c, Product: "Plinth", Version: "1.0",
		RuntimeUKISize: int64(len(uki)), RuntimeUKISHA256: hex.EncodeToString(sum[:]), Seed: []byte("image")})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{DevRoot: dev, SysRoot: "/nonexistent", ProcRoot: "/nonexistent", Vars: efivar.NewMemStore(), Log: t.Logf}
	return env, plan
}

// installedESP is the ESP plan wrote onto its image file.
func installedESP(t *testing.T, plan *installplan.Plan) *vfat.FS {
	t.Helper()
	img, err := os.Open(plan.Disk.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	esp, _ := plan.ESP()
	fsys, err := vfat.Open(img, int64(esp.FirstLBA)*512, esp.SizeBytes)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func payloadOf(uki []byte) map[installplan.Source][]byte {
	return map[installplan.Source][]byte{installplan.FromRuntimeUKI: uki}
}

// An install onto an image file writes, reads back and verifies every
// file of the ESP, and makes its boot entry.
func TestExecuteImage(t *testing.T) {
	uki := bytes.Repeat([]byte("runtime uki "), 300000)
	env, plan := imageInstall(t, uki)
	res, err := execute(env, plan, payloadOf(uki), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.OurEntries) != 1 || res.BytesOnDisk < 2*int64(len(uki)) {
		t.Errorf("result %+v", res)
	}
	fsys := installedESP(t, plan)
	for _, f := range plan.ESPFiles {
		if f.Source != installplan.FromRuntimeUKI {
			continue
		}
		if got, err := fsys.ReadFile(f.Path); err != nil || !bytes.Equal(got, uki) {
			t.Errorf("%s: %d bytes (%v), want the UKI", f.Path, len(got), err)
		}
	}
}

// The read-back reads the disk: a byte changed there after the write is
// an error that names the file, though the bytes in memory are right.
func TestReadBackFindsDifference(t *testing.T) {
	uki := bytes.Repeat([]byte("runtime uki "), 300000)
	env, plan := imageInstall(t, uki)
	if _, err := execute(env, plan, payloadOf(uki), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	files, err := espFiles(plan, payloadOf(uki), nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.OpenFile(plan.Disk.Path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	// The UKI's text repeats; find one copy of it on the disk and change
	// it. The files lie at the start of the ESP's data area, right after
	// the FATs (1 MiB for 512 MiB): its first 64 MiB hold them.
	esp, _ := plan.ESP()
	buf := make([]byte, min(esp.SizeBytes, 64<<20))
	if _, err := img.ReadAt(buf, int64(esp.FirstLBA)*512); err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(buf, uki[:4096])
	if at < 0 {
		t.Fatal("the UKI is not on the ESP")
	}
	if _, err := img.WriteAt([]byte("X"), int64(esp.FirstLBA)*512+int64(at)+100); err != nil {
		t.Fatal(err)
	}
	x := &execution{env: env, plan: plan, files: files}
	if err := x.open(0); err != nil {
		t.Fatal(err)
	}
	defer x.close()
	err = x.readBackESP()
	if Code(err) != errcode.Verify || !strings.Contains(err.Error(), "differs from what was written") {
		t.Errorf("readBackESP after a change on the disk: %v (code %q)", err, Code(err))
	}
}

// SameContent compares a file read through a buffer smaller than it,
// chunk by chunk, with the bytes expected: a difference in any chunk or
// in the size is a difference, a file that is not there an error.
func TestSameContent(t *testing.T) {
	uki := bytes.Repeat([]byte("runtime uki "), 300000) // 3.4 MiB: four chunks
	env, plan := imageInstall(t, uki)
	if _, err := execute(env, plan, payloadOf(uki), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	fsys := installedESP(t, plan)
	var path string
	for _, f := range plan.ESPFiles {
		if f.Source == installplan.FromRuntimeUKI {
			path = f.Path
		}
	}
	changed := func(at int) []byte {
		b := bytes.Clone(uki)
		b[at] ^= 1
		return b
	}
	tests := []struct {
		name    string
		path    string
		want    []byte
		same    bool
		wantErr bool
	}{
		{"the same", path, uki, true, false},
		{"first byte", path, changed(0), false, false},
		{"last chunk", path, changed(len(uki) - 1), false, false},
		{"a chunk boundary", path, changed(readBackChunk), false, false},
		{"shorter on the disk", path, append(bytes.Clone(uki), 'x'), false, false},
		{"longer on the disk", path, uki[:len(uki)-1], false, false},
		{"no such file", "EFI/none.efi", uki, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same, err := fsys.SameContent(tt.path, tt.want, make([]byte, readBackChunk))
			if same != tt.same || (err != nil) != tt.wantErr {
				t.Errorf("sameContent = %v, %v; want %v, error %v", same, err, tt.same, tt.wantErr)
			}
		})
	}
}
