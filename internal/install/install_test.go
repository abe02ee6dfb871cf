package install

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/event"
)

// A payload that does not match the manifest stops the install before
// discovery: nothing is looked at, nothing written.
func TestCorruptPayloadStopsFirst(t *testing.T) {
	var events bytes.Buffer
	env := Env{SysRoot: "/nonexistent", DevRoot: "/nonexistent", ProcRoot: "/nonexistent",
		Events: event.New(&events), Log: func(string, ...any) {}}
	m := Manifest{Product: "P", Version: "1", RuntimeUKISHA256: "00", RuntimeUKISize: 3}
	_, err := Run(context.Background(), env, &answers.Answers{}, m, []byte("uki"))
	if Code(err) != "payload-corrupt" {
		t.Fatalf("err = %v (code %q), want payload-corrupt", err, Code(err))
	}
	if events.Len() != 0 {
		t.Errorf("events before the payload check: %s", events.String())
	}
}

func TestPartitionDevice(t *testing.T) {
	tests := []struct{ disk, want string }{
		{"sda", "/dev/sda2"}, {"vdb", "/dev/vdb2"}, {"nvme0n1", "/dev/nvme0n1p2"}, {"mmcblk0", "/dev/mmcblk0p2"},
	}
	for _, tt := range tests {
		if got := partitionDevice("/dev", tt.disk, 2); got != tt.want {
			t.Errorf("partitionDevice(%s) = %s, want %s", tt.disk, got, tt.want)
		}
	}
}

func TestNetworkConfig(t *testing.T) {
	static := networkConfig(answers.Network{Mode: "static", Address: netip.MustParsePrefix("192.0.2.10/24"),
		Gateway: netip.MustParseAddr("192.0.2.1"), DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}})
	if static.Mode != "static" || static.Address != "192.0.2.10/24" || static.Gateway != "192.0.2.1" || len(static.DNS) != 1 {
		t.Errorf("static = %+v", static)
	}
	if dhcp := networkConfig(answers.Network{}); dhcp.Mode != "dhcp" || dhcp.Address != "" {
		t.Errorf("default = %+v", dhcp)
	}
}
