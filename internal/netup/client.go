package netup

import (
	"context"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// Client is the part of nclient4.Client the DHCP loop uses.
type Client interface {
	Request(ctx context.Context, modifiers ...dhcpv4.Modifier) (*nclient4.Lease, error)
	Renew(ctx context.Context, lease *nclient4.Lease, modifiers ...dhcpv4.Modifier) (*nclient4.Lease, error)
	Close() error
}

// NewNclient4 opens an nclient4 client on iface (a raw AF_PACKET socket:
// the interface has no address yet). Each request waits up to 3 s for an
// answer and is sent 3 times; the loop's own backoff spaces the rounds.
func NewNclient4(iface string) (Client, error) {
	return nclient4.New(iface, nclient4.WithTimeout(3*time.Second), nclient4.WithRetry(3))
}
