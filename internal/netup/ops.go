package netup

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Ops changes interfaces, addresses and routes. NetlinkOps is the real
// implementation.
type Ops interface {
	LinkUp(name string) error
	// AddrReplace adds or updates addr on the interface; lifetime 0 means
	// forever.
	AddrReplace(name string, addr netip.Prefix, lifetime time.Duration) error
	AddrDel(name string, addr netip.Prefix) error
	RouteReplace(name string, r Route, metric int) error
	RouteDel(name string, r Route, metric int) error
}

// NetlinkOps implements Ops with rtnetlink.
type NetlinkOps struct{}

var _ Ops = NetlinkOps{}

func (NetlinkOps) LinkUp(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("netup: %s: %w", name, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("netup: %s up: %w", name, err)
	}
	return nil
}

func (NetlinkOps) AddrReplace(name string, addr netip.Prefix, lifetime time.Duration) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("netup: %s: %w", name, err)
	}
	a := &netlink.Addr{IPNet: ipNet(addr)}
	if lifetime > 0 {
		secs := int(lifetime / time.Second)
		a.ValidLft, a.PreferedLft = secs, secs
	}
	if err := netlink.AddrReplace(l, a); err != nil {
		return fmt.Errorf("netup: %s: add address %s: %w", name, addr, err)
	}
	return nil
}

func (NetlinkOps) AddrDel(name string, addr netip.Prefix) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("netup: %s: %w", name, err)
	}
	if err := netlink.AddrDel(l, &netlink.Addr{IPNet: ipNet(addr)}); err != nil {
		return fmt.Errorf("netup: %s: delete address %s: %w", name, addr, err)
	}
	return nil
}

func (NetlinkOps) RouteReplace(name string, r Route, metric int) error {
	nr, err := nlRoute(name, r, metric)
	if err != nil {
		return err
	}
	if err := netlink.RouteReplace(nr); err != nil {
		return fmt.Errorf("netup: %s: route %s: %w", name, r, err)
	}
	return nil
}

func (NetlinkOps) RouteDel(name string, r Route, metric int) error {
	nr, err := nlRoute(name, r, metric)
	if err != nil {
		return err
	}
	if err := netlink.RouteDel(nr); err != nil {
		return fmt.Errorf("netup: %s: delete route %s: %w", name, r, err)
	}
	return nil
}

func nlRoute(name string, r Route, metric int) (*netlink.Route, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("netup: %s: %w", name, err)
	}
	nr := &netlink.Route{LinkIndex: l.Attrs().Index, Priority: metric, Protocol: unix.RTPROT_BOOT}
	if r.Dst.Bits() > 0 {
		nr.Dst = ipNet(r.Dst) // nil Dst is the default route
	}
	if r.Gateway.IsValid() {
		nr.Gw = net.IP(r.Gateway.AsSlice())
	} else {
		nr.Scope = netlink.SCOPE_LINK
	}
	return nr, nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
