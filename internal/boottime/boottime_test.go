package boottime

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStartTicks(t *testing.T) {
	tests := []struct {
		name, stat string
		want       uint64
		ok         bool
	}{
		{"init", "1 (init) S 0 1 1 0 -1 4194560 1510 0 12 0 3 7 0 0 20 0 9 0 123 2189312 412 18446744073709551615", 123, true},
		{"name with spaces and parens", "77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4567 0 0", 4567, true},
		{"no command name", "1 init S 0", 0, false},
		{"too short", "1 (init) S 0 1", 0, false},
		{"not a number", "1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StartTicks([]byte(tt.stat))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("StartTicks = %d, %v; want %d, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

// TestRead reads this machine's own times: PID 1 began after the kernel
// did and before now.
func TestRead(t *testing.T) {
	got, err := Read("/proc")
	if err != nil {
		t.Fatal(err)
	}
	if got.InitStarted < 0 || got.InitStarted > got.Uptime {
		t.Errorf("Read = %+v: init must start between the kernel's start and now", got)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "noproc")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read without procfs: %v, want a not-exist error", err)
	}
}
