package netup

import (
	"net"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzLeaseFromACK: any packet that parses as DHCP converts to a Lease or
// an error, never a panic, and a lease is self-consistent.
func FuzzLeaseFromACK(f *testing.F) {
	a, _ := dhcpv4.New(
		dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithYourIP(net.IPv4(10, 0, 2, 15)),
		dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
		dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2)),
		dhcpv4.WithDNS(net.IPv4(10, 0, 2, 3)),
		dhcpv4.WithLeaseTime(3600),
		dhcpv4.WithOption(dhcpv4.OptClasslessStaticRoute(&dhcpv4.Route{Dest: &net.IPNet{IP: net.IPv4(10, 1, 0, 0).To4(), Mask: net.CIDRMask(16, 32)}, Router: net.IPv4(10, 0, 2, 1)})),
	)
	f.Add(a.ToBytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := dhcpv4.FromBytes(b)
		if err != nil {
			return
		}
		l, err := LeaseFromACK(m)
		if err != nil {
			return
		}
		if !l.Address.IsValid() || l.T1 > l.LeaseTime || l.T2 > l.LeaseTime || l.T1 > l.T2 {
			t.Fatalf("inconsistent lease %+v", l)
		}
	})
}
