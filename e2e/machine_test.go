//go:build e2e

package e2e

import (
	"testing"

	"github.com/plinth-os/plinth/e2e/qemu"
)

// startMachine boots a machine for t. When t ends the machine is stopped
// and every event line it printed is checked against the event
// definitions (docs/events.md): an unknown event or field fails t.
func startMachine(t *testing.T, cfg qemu.Config) (*qemu.Machine, error) {
	t.Helper()
	m, err := qemu.Start(cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		m.Stop()
		if err := m.CheckEvents(); err != nil {
			t.Errorf("%s: %v", m.LogPath, err)
		}
	})
	return m, nil
}
