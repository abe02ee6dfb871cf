package netup

import (
	"fmt"
	"net/netip"
)

// applyLease installs next on the interface and removes what of prev it
// no longer has. A gateway outside the subnet (cloud DHCP servers hand
// out /32s) first gets an on-link host route, or the kernel would refuse
// the route through it.
func applyLease(ops Ops, name string, metric int, prev *Lease, next Lease) error {
	if err := ops.AddrReplace(name, next.Address, next.LeaseTime); err != nil {
		return err
	}
	if prev != nil {
		for _, r := range prev.Routes {
			if !containsRoute(next.Routes, r) {
				ops.RouteDel(name, r, metric) // best effort: it may be gone with the address
			}
		}
		if prev.Address != next.Address {
			ops.AddrDel(name, prev.Address)
		}
	}
	var errs []error
	for _, r := range next.Routes {
		if r.Gateway.IsValid() && !next.Address.Masked().Contains(r.Gateway) {
			if err := ops.RouteReplace(name, Route{Dst: netip.PrefixFrom(r.Gateway, 32)}, metric); err != nil {
				errs = append(errs, err)
			}
		}
		if err := ops.RouteReplace(name, r, metric); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("netup: %s: %d route(s) failed, first: %w", name, len(errs), errs[0])
	}
	return nil
}

// removeLease takes an expired lease's address and routes off.
func removeLease(ops Ops, name string, metric int, l Lease) {
	for _, r := range l.Routes {
		ops.RouteDel(name, r, metric)
	}
	ops.AddrDel(name, l.Address)
}

func containsRoute(rs []Route, r Route) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
