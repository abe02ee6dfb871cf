package boottime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plinth-os/plinth/internal/kmsg"
)

func TestRunsInit(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"Run /init as init process", true},
		{"Run /sbin/init as init process", true},
		{"Run /init as init process failed", false},
		{"Freeing unused kernel image (initmem) memory: 1024K", false},
	} {
		if got := RunsInit(kmsg.Record{Text: tt.text}); got != tt.want {
			t.Errorf("RunsInit(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// TestRead reads this machine's clock and kernel log: the uptime is
// positive, and /init (if the log still says when) ran before now.
func TestRead(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip("no /dev/kmsg here")
	}
	got, err := Read("/dev/kmsg")
	if err != nil {
		t.Fatal(err)
	}
	if got.Uptime <= 0 || got.InitStarted < 0 || got.InitStarted > got.Uptime {
		t.Errorf("Read = %+v", got)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "kmsg")); err == nil {
		t.Error("Read without a kernel log device succeeded")
	}
}
