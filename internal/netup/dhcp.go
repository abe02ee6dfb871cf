package netup

import (
	"context"
	"errors"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// dhcp runs the DHCP client state machine on one interface until ctx
// ends: discover (retrying with backoff), bind, renew from T1 until the
// lease expires (nclient4 broadcasts renewals, so renewing and rebinding
// are the same request), and discover again after expiry or a NAK.
func (m *Manager) dhcp(ctx context.Context, name string) {
	mods := []dhcpv4.Modifier{dhcpv4.WithRequestedOptions(
		dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer,
		dhcpv4.OptionDomainName, dhcpv4.OptionClasslessStaticRoute)}
	if m.o.Hostname != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(m.o.Hostname)))
	}
	m.say("%s: requesting a DHCP lease", name)
	if err := waitForEntropy(m.say); err != nil {
		m.say("%s: getrandom: %v", name, err)
	}
	metric := m.metric(name)
	var client Client
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		var err error
		if client == nil {
			client, err = m.o.NewClient(name)
		}
		var raw *nclient4.Lease
		if err == nil {
			raw, err = client.Request(ctx, mods...)
		}
		var l Lease
		if err == nil {
			l, err = LeaseFromACK(raw.ACK)
		}
		if err == nil {
			err = applyLease(m.o.Ops, name, metric, nil, l)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := m.o.Backoff.Delay(attempt)
			// Say so on the first failure and then only when the delay
			// changes: an unplugged port must not flood the console.
			if attempt == 0 || d != m.o.Backoff.Delay(attempt-1) {
				m.say("%s: DHCP: no lease yet: %v; retrying in %s", name, err, d)
			}
			if client != nil {
				client.Close()
				client = nil // a fresh socket next time (the link may have changed)
			}
			sleep(ctx, d)
			continue
		}
		attempt = -1
		m.bound(name, l, "dhcp")
		if !m.keep(ctx, client, name, metric, raw, l, mods) {
			return
		}
		removeLease(m.o.Ops, name, metric, l)
		m.unbound(name)
		m.say("%s: DHCP lease lost; discovering again", name)
	}
}

// keep renews the lease from T1 on until it expires. It returns false
// when ctx ended, true when the lease is gone and must be rediscovered.
func (m *Manager) keep(ctx context.Context, client Client, name string, metric int, raw *nclient4.Lease, l Lease, mods []dhcpv4.Modifier) bool {
	for {
		if l.LeaseTime == 0 {
			<-ctx.Done() // infinite lease
			return false
		}
		start := raw.CreationTime
		if !sleep(ctx, time.Until(start.Add(l.T1))) {
			return false
		}
		expiry := start.Add(l.LeaseTime)
		renewed := false
		for attempt := 0; time.Now().Before(expiry); attempt++ {
			rctx, cancel := context.WithDeadline(ctx, expiry)
			next, err := client.Renew(rctx, raw, mods...)
			cancel()
			if ctx.Err() != nil {
				return false
			}
			var nl Lease
			if err == nil {
				nl, err = LeaseFromACK(next.ACK)
			}
			if err == nil {
				if err := applyLease(m.o.Ops, name, metric, &l, nl); err != nil {
					m.say("%s: %v", name, err)
				}
				if nl.Address != l.Address {
					m.bound(name, nl, "dhcp")
				}
				raw, l, renewed = next, nl, true
				break
			}
			var nak *nclient4.ErrNak
			if errors.As(err, &nak) {
				m.say("%s: DHCP server refused to renew %s", name, l.Address)
				return true
			}
			// RFC 2131 4.4.5: wait half the remaining time, at least 60 s;
			// our backoff gives the early retries.
			d := min(m.o.Backoff.Delay(attempt), max(time.Until(expiry)/2, time.Second))
			if !sleep(ctx, d) {
				return false
			}
		}
		if !renewed {
			return true
		}
	}
}
