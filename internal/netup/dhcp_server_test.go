package netup

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// TestAgainstDHCPServer runs the DHCP loop with a real nclient4 client
// against an in-process server4 over loopback UDP (no raw sockets, no
// root): discover, offer, request, ack, then a renewal at T1.
func TestAgainstDHCPServer(t *testing.T) {
	sconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	handler := func(conn net.PacketConn, peer net.Addr, m *dhcpv4.DHCPv4) {
		typ := dhcpv4.MessageTypeAck
		if m.MessageType() == dhcpv4.MessageTypeDiscover {
			typ = dhcpv4.MessageTypeOffer
		}
		reply, err := dhcpv4.NewReplyFromRequest(m,
			dhcpv4.WithMessageType(typ),
			dhcpv4.WithYourIP(net.IPv4(10, 0, 2, 15)),
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2)),
			dhcpv4.WithDNS(net.IPv4(10, 0, 2, 3)),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(127, 0, 0, 1))),
			dhcpv4.WithLeaseTime(2),
		)
		if err != nil {
			return
		}
		// Loopback: answer the client's own port, not a broadcast.
		conn.WriteTo(reply.ToBytes(), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: peer.(*net.UDPAddr).Port})
	}
	srv, err := server4.NewServer("", nil, handler, server4.WithConn(sconn))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()

	newClient := func(string) (Client, error) {
		cconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		return nclient4.NewWithConn(cconn, net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56},
			nclient4.WithServerAddr(sconn.LocalAddr().(*net.UDPAddr)), nclient4.WithTimeout(time.Second), nclient4.WithRetry(2))
	}
	sys := fakeNet(t, fakeIf{name: "eth0", typ: "1", ifindex: "2", device: true})
	ops := &fakeOps{}
	m := New(Options{SysRoot: sys, EtcDir: t.TempDir(), Network: appconfig.Network{Mode: appconfig.ModeDHCP}, Ops: ops, NewClient: newClient})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if !m.WaitAddress(wctx) {
		t.Fatalf("no lease; ops %v", ops.list())
	}
	if a := m.Addresses(); len(a) != 1 || a[0].String() != "10.0.2.15/24" {
		t.Errorf("Addresses = %v", a)
	}
	// T1 is 1 s: the renewal re-applies the address with a fresh lifetime.
	renewed := false
	defer func() {
		if !renewed {
			t.Logf("ops %v", ops.list())
		}
	}()
	testdisk.Eventually(t, "a renewal", actTimeout, func() bool {
		n := 0
		for _, c := range ops.list() {
			if strings.HasPrefix(c, "addr eth0 10.0.2.15/24 2s") {
				n++
			}
		}
		renewed = n >= 2
		return renewed
	})
}
