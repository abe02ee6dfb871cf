// Package netup brings the appliance's network up: loopback and every
// wired interface up, then DHCPv4 on each (insomniacslk/dhcp's nclient4:
// retries with exponential backoff, renewal at T1, rebinding until the
// lease expires, then a fresh discovery) or the static address from the
// config; routes including the default gateway; name servers to
// /etc/resolv.conf; the hostname (sethostname, /etc/hostname, /etc/hosts).
//
// Addresses and routes are set through the Ops interface, implemented
// with vishvananda/netlink (rtnetlink); tests use a fake. Leased addresses
// are installed with the lease's lifetime, so that if renewal fails the
// kernel itself drops an expired address.
package netup
