package install

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
)

// TestSurveyUnchanged: a look stays current until a disk appears,
// disappears, changes size or gains a partition.
func TestSurveyUnchanged(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, s partfindtest.System)
		want   bool
	}{
		{"nothing changed", func(*testing.T, partfindtest.System) {}, true},
		{"a disk appeared", func(t *testing.T, s partfindtest.System) {
			s.WriteSys(t, "block/sdz/size", "131072\n")
			s.WriteSys(t, "block/sdz/dev", "250:0\n")
		}, false},
		{"a disk went away", func(t *testing.T, s partfindtest.System) { os.RemoveAll(filepath.Join(s.Sys, "block", "vdb")) }, false},
		{"a disk changed size", func(t *testing.T, s partfindtest.System) { s.WriteSys(t, "block/vda/size", "0\n") }, false},
		{"a partition appeared", func(t *testing.T, s partfindtest.System) { s.WriteSys(t, "block/vdb/vdb1/partition", "1\n") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := partfindtest.Build(t, partfindtest.Disk{Name: "vda"}, partfindtest.Disk{Name: "vdb"})
			env := Env{SysRoot: s.Sys, DevRoot: s.Dev, ProcRoot: t.TempDir()}
			survey, err := Look(env)
			if err != nil {
				t.Fatal(err)
			}
			if len(survey.Disks) != 2 {
				t.Fatalf("look found %d disks, want 2", len(survey.Disks))
			}
			tt.change(t, s)
			if _, err := disk.Scan(s.Sys); err != nil {
				t.Fatalf("the changed sysfs does not scan: %v", err) // Unchanged would be false for that alone
			}
			if got := survey.Unchanged(env); got != tt.want {
				t.Errorf("Unchanged() = %v, want %v", got, tt.want)
			}
		})
	}
}
