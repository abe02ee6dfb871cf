package netup

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Route is a route to install: Dst (0.0.0.0/0 for the default route) via
// Gateway, or on-link when Gateway is not valid.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr
}

func (r Route) String() string {
	if !r.Gateway.IsValid() {
		return r.Dst.String() + " on-link"
	}
	return r.Dst.String() + " via " + r.Gateway.String()
}

// Lease is the configuration a DHCP ACK gives.
type Lease struct {
	Address   netip.Prefix // our address and the subnet's prefix length
	Routes    []Route
	DNS       []netip.Addr
	Domain    string
	Server    netip.Addr
	LeaseTime time.Duration // 0: infinite
	T1, T2    time.Duration // renew and rebind times, from the ACK
}

// Lease-time defaults (RFC 2131 4.4.5): T1 = 0.5, T2 = 0.875 of the lease.
const defaultLeaseTime = time.Hour

// LeaseFromACK converts a DHCPACK into a Lease. With the classless static
// routes option (121) present, the router option is ignored, as RFC 3442
// requires.
func LeaseFromACK(ack *dhcpv4.DHCPv4) (Lease, error) {
	ip, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !ok || ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return Lease{}, fmt.Errorf("netup: DHCP ACK offers no usable address (%v)", ack.YourIPAddr)
	}
	mask := ack.SubnetMask()
	if mask == nil {
		mask = ack.YourIPAddr.DefaultMask() // old servers: the classful mask
	}
	ones, bits := mask.Size()
	if bits != 32 {
		return Lease{}, fmt.Errorf("netup: DHCP ACK has a non-contiguous subnet mask %v", net.IP(mask))
	}
	l := Lease{Address: netip.PrefixFrom(ip, ones), Domain: ack.DomainName()}
	if s, ok := netip.AddrFromSlice(ack.ServerIdentifier().To4()); ok {
		l.Server = s
	}
	if csr := ack.ClasslessStaticRoute(); len(csr) > 0 {
		for _, r := range csr {
			if r.Dest == nil {
				continue
			}
			dst, ok := netip.AddrFromSlice(r.Dest.IP.To4())
			dl, _ := r.Dest.Mask.Size()
			if !ok {
				continue
			}
			rt := Route{Dst: netip.PrefixFrom(dst, dl).Masked()}
			if gw, ok := netip.AddrFromSlice(r.Router.To4()); ok && !gw.IsUnspecified() {
				rt.Gateway = gw
			}
			l.Routes = append(l.Routes, rt)
		}
	} else {
		for _, r := range ack.Router() {
			if gw, ok := netip.AddrFromSlice(r.To4()); ok && !gw.IsUnspecified() {
				l.Routes = append(l.Routes, Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gw})
				break // one default route; more routers are alternatives we cannot weigh
			}
		}
	}
	for _, d := range ack.DNS() {
		if a, ok := netip.AddrFromSlice(d.To4()); ok && !a.IsUnspecified() {
			l.DNS = append(l.DNS, a)
		}
	}
	// 0xffffffff seconds is "infinite" (RFC 2131 3.3).
	if v := ack.Options.Get(dhcpv4.OptionIPAddressLeaseTime); len(v) == 4 && v[0]&v[1]&v[2]&v[3] == 0xff {
		return l, nil
	}
	l.LeaseTime = ack.IPAddressLeaseTime(defaultLeaseTime)
	l.T1 = ack.IPAddressRenewalTime(l.LeaseTime / 2)
	l.T2 = ack.IPAddressRebindingTime(l.LeaseTime * 7 / 8)
	if l.T1 <= 0 || l.T1 > l.LeaseTime {
		l.T1 = l.LeaseTime / 2
	}
	if l.T2 < l.T1 || l.T2 > l.LeaseTime {
		l.T2 = l.LeaseTime * 7 / 8
	}
	return l, nil
}

// Gateway returns the default route's gateway, if any.
func (l Lease) Gateway() netip.Addr {
	for _, r := range l.Routes {
		if r.Dst.Bits() == 0 {
			return r.Gateway
		}
	}
	return netip.Addr{}
}
