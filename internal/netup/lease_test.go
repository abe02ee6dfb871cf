package netup

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func ack(t *testing.T, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	base := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithYourIP(net.IPv4(10, 0, 2, 15)),
		dhcpv4.WithServerIP(net.IPv4(10, 0, 2, 2)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 0, 2, 2))),
	}
	m, err := dhcpv4.New(append(base, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLeaseFromACK(t *testing.T) {
	csr := dhcpv4.OptClasslessStaticRoute(
		&dhcpv4.Route{Dest: &net.IPNet{IP: net.IPv4(0, 0, 0, 0).To4(), Mask: net.CIDRMask(0, 32)}, Router: net.IPv4(10, 0, 2, 1)},
		&dhcpv4.Route{Dest: &net.IPNet{IP: net.IPv4(192, 168, 0, 0).To4(), Mask: net.CIDRMask(16, 32)}, Router: net.IPv4(0, 0, 0, 0)},
	)
	tests := []struct {
		name string
		mods []dhcpv4.Modifier
		want string // Lease rendered by describe, or "error: ..."
	}{
		{"full", []dhcpv4.Modifier{
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2), net.IPv4(10, 0, 2, 3)),
			dhcpv4.WithDNS(net.IPv4(10, 0, 2, 3), net.IPv4(0, 0, 0, 0)),
			dhcpv4.WithOption(dhcpv4.OptDomainName("example.test")),
			dhcpv4.WithLeaseTime(86400),
		}, "10.0.2.15/24 [0.0.0.0/0 via 10.0.2.2] dns [10.0.2.3] domain example.test server 10.0.2.2 lease 24h0m0s t1 12h0m0s t2 21h0m0s"},
		{"explicit T1 T2", []dhcpv4.Modifier{
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithLeaseTime(100),
			dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRenewTimeValue, dhcpv4.Duration(30*time.Second).ToBytes())),
			dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRebindingTimeValue, dhcpv4.Duration(60*time.Second).ToBytes())),
		}, "10.0.2.15/24 [] dns [] domain  server 10.0.2.2 lease 1m40s t1 30s t2 1m0s"},
		{"bad T1 T2", []dhcpv4.Modifier{
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithLeaseTime(100),
			dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRenewTimeValue, dhcpv4.Duration(300*time.Second).ToBytes())),
			dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRebindingTimeValue, dhcpv4.Duration(10*time.Second).ToBytes())),
		}, "10.0.2.15/24 [] dns [] domain  server 10.0.2.2 lease 1m40s t1 50s t2 1m27.5s"},
		{"no lease time", []dhcpv4.Modifier{dhcpv4.WithNetmask(net.CIDRMask(24, 32))},
			"10.0.2.15/24 [] dns [] domain  server 10.0.2.2 lease 1h0m0s t1 30m0s t2 52m30s"},
		{"infinite", []dhcpv4.Modifier{dhcpv4.WithNetmask(net.CIDRMask(24, 32)), dhcpv4.WithLeaseTime(0xffffffff)},
			"10.0.2.15/24 [] dns [] domain  server 10.0.2.2 lease 0s t1 0s t2 0s"},
		{"classful mask", nil, "10.0.2.15/8 [] dns [] domain  server 10.0.2.2 lease 1h0m0s t1 30m0s t2 52m30s"},
		{"classless routes win over router", []dhcpv4.Modifier{
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2)),
			dhcpv4.WithOption(csr),
			dhcpv4.WithLeaseTime(60),
		}, "10.0.2.15/24 [0.0.0.0/0 via 10.0.2.1 192.168.0.0/16 on-link] dns [] domain  server 10.0.2.2 lease 1m0s t1 30s t2 52.5s"},
		{"no address", []dhcpv4.Modifier{dhcpv4.WithYourIP(net.IPv4zero)}, "error: no usable address"},
		{"broadcast address", []dhcpv4.Modifier{dhcpv4.WithYourIP(net.IPv4bcast)}, "error: no usable address"},
		{"bad mask", []dhcpv4.Modifier{dhcpv4.WithNetmask(net.IPv4Mask(255, 0, 255, 0))}, "error: non-contiguous"},
	}
	for _, tt := range tests {
		l, err := LeaseFromACK(ack(t, tt.mods...))
		got := describe(l)
		if err != nil {
			got = "error: " + err.Error()
		}
		if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got %s, want an error with %q", tt.name, got, want)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func describe(l Lease) string {
	var rs []string
	for _, r := range l.Routes {
		rs = append(rs, r.String())
	}
	return l.Address.String() + " [" + strings.Join(rs, " ") + "] dns [" + strings.Join(addrStrings(l.DNS), " ") + "] domain " + l.Domain + " server " + l.Server.String() + " lease " + l.LeaseTime.String() + " t1 " + l.T1.String() + " t2 " + l.T2.String()
}

func TestGateway(t *testing.T) {
	l := Lease{Routes: []Route{{Dst: netip.MustParsePrefix("192.168.0.0/16")}, {Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.1")}}}
	if g := l.Gateway(); g.String() != "10.0.0.1" {
		t.Errorf("Gateway = %v", g)
	}
	if g := (Lease{}).Gateway(); g.IsValid() {
		t.Errorf("empty lease has gateway %v", g)
	}
}
