package datapart

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/ext4/mkext4"
)

// TestCheckOurExt4 checks a filesystem made the way provision makes the
// data partition (internal/ext4/mkext4.Format), not only mkfs.ext4's.
func TestCheckOurExt4(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	err = mkext4.Format(f, 0, size, mkext4.Options{Label: "plinth-data", UUID: [16]byte{1, 2, 3}})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := CheckDevice(p)
	if err != nil || !rep.Clean || !rep.HasJournal || rep.NeedsRecovery || len(rep.Warnings) > 0 || rep.Label != "plinth-data" {
		t.Errorf("CheckDevice = %+v, %v", rep, err)
	}
}
