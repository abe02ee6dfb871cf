package main

import (
	"testing"

	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/partfind/partfindtest"
)

// TestSurveyLookAhead: the wizard takes the look made ahead only when no
// unattended install was tried and the disks are the same.
func TestSurveyLookAhead(t *testing.T) {
	tests := []struct {
		name      string
		newDisk   bool // a disk appears after the look ahead
		tried     bool // an unattended install was tried
		wantAhead bool
	}{
		{"nothing changed", false, false, true},
		{"a disk appeared", true, false, false},
		{"an unattended install was tried", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := partfindtest.Build(t, partfindtest.Disk{Name: "vda"})
			a := &app{env: install.Env{SysRoot: s.Sys, DevRoot: s.Dev, ProcRoot: t.TempDir()}}
			a.ahead = startLookAhead(a.env)
			a.ahead.look.Wait()
			a.ahead.survey.Facts.Signatures["marker"] = nil // tells the look ahead from a new one
			if tt.newDisk {
				s.WriteSys(t, "block/vdb/size", "131072\n")
				s.WriteSys(t, "block/vdb/dev", "250:0\n")
			}
			if tt.tried {
				a.dropLookAhead()
			}
			got, err := a.survey()
			if err != nil {
				t.Fatal(err)
			}
			if _, ahead := got.Facts.Signatures["marker"]; ahead != tt.wantAhead {
				t.Errorf("took the look ahead: %v, want %v", ahead, tt.wantAhead)
			}
			if tt.newDisk && len(got.Disks) != 2 {
				t.Errorf("%d disks, want the new one too", len(got.Disks))
			}
			if a.ahead != nil {
				t.Error("the look ahead is kept after the wizard took its survey")
			}
		})
	}
}
