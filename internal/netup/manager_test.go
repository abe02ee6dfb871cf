package netup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/event/eventtest"
	"github.com/plinth-os/plinth/internal/testdisk"
)

// fakeOps records operations as text.
type fakeOps struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]int // call prefix -> failures left
}

func (f *fakeOps) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	for p, n := range f.fail {
		if n > 0 && strings.HasPrefix(s, p) {
			f.fail[p] = n - 1
			return errors.New("EAGAIN")
		}
	}
	return nil
}

func (f *fakeOps) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeOps) has(s string) bool { return slices.Contains(f.list(), s) }

func (f *fakeOps) LinkUp(name string) error { return f.rec("up " + name) }
func (f *fakeOps) AddrReplace(name string, a netip.Prefix, life time.Duration) error {
	return f.rec(fmt.Sprintf("addr %s %s %s", name, a, life))
}
func (f *fakeOps) AddrDel(name string, a netip.Prefix) error {
	return f.rec(fmt.Sprintf("deladdr %s %s", name, a))
}
func (f *fakeOps) RouteReplace(name string, r Route, metric int) error {
	return f.rec(fmt.Sprintf("route %s %s metric %d", name, r, metric))
}
func (f *fakeOps) RouteDel(name string, r Route, metric int) error {
	return f.rec(fmt.Sprintf("delroute %s %s metric %d", name, r, metric))
}

// fakeClient hands out scripted answers.
type fakeClient struct {
	mu       sync.Mutex
	requests []func() (*nclient4.Lease, error)
	renews   []func() (*nclient4.Lease, error)
	nReq     int
	nRenew   int
	mods     []dhcpv4.Modifier
}

func (c *fakeClient) next(q *[]func() (*nclient4.Lease, error), n *int) (*nclient4.Lease, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := *n
	*n++
	if i >= len(*q) {
		return nil, errors.New("no answer")
	}
	return (*q)[i]()
}

func (c *fakeClient) Request(ctx context.Context, mods ...dhcpv4.Modifier) (*nclient4.Lease, error) {
	c.mu.Lock()
	c.mods = mods
	c.mu.Unlock()
	return c.next(&c.requests, &c.nReq)
}

func (c *fakeClient) Renew(ctx context.Context, l *nclient4.Lease, mods ...dhcpv4.Modifier) (*nclient4.Lease, error) {
	return c.next(&c.renews, &c.nRenew)
}

func (c *fakeClient) Close() error { return nil }

func (c *fakeClient) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nReq, c.nRenew
}

func leaseAnswer(ip net.IP, secs uint32) func() (*nclient4.Lease, error) {
	return func() (*nclient4.Lease, error) {
		a, err := dhcpv4.New(
			dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
			dhcpv4.WithYourIP(ip),
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2)),
			dhcpv4.WithDNS(net.IPv4(10, 0, 2, 3)),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 0, 2, 2))),
			dhcpv4.WithLeaseTime(secs),
		)
		return &nclient4.Lease{ACK: a, Offer: a, CreationTime: time.Now()}, err
	}
}

func fail() (*nclient4.Lease, error) { return nil, errors.New("timed out") }

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	m    *Manager
	ops  *fakeOps
	out  *syncBuf
	rec  *eventtest.Recorder
	etc  string
	stop func()
}

func run(t *testing.T, n appconfig.Network, client Client, ops *fakeOps) *env {
	sys := fakeNet(t,
		fakeIf{name: "lo", typ: "772", ifindex: "1"},
		fakeIf{name: "eth0", typ: "1", mac: "52:54:00:12:34:56", ifindex: "2", device: true},
	)
	e := &env{ops: ops, out: &syncBuf{}, rec: &eventtest.Recorder{}, etc: t.TempDir()}
	e.m = New(Options{
		SysRoot: sys, EtcDir: e.etc, Network: n, Hostname: "plinth-3f2a9c", Ops: e.ops,
		NewClient: func(string) (Client, error) { return client, nil },
		Out:       e.out, Events: e.rec, Rescan: 20 * time.Millisecond,
		Backoff: backoff.Policy{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.m.Run(ctx); close(done) }()
	e.stop = func() { cancel(); <-done }
	t.Cleanup(func() { e.stop(); e.rec.Check(t) })
	return e
}

// actTimeout bounds how long the tests wait for the manager to act.
const actTimeout = 10 * time.Second

func TestDHCPRetryBindRenew(t *testing.T) {
	c := &fakeClient{
		requests: []func() (*nclient4.Lease, error){fail, fail, fail, leaseAnswer(net.IPv4(10, 0, 2, 15), 2)},
		// Renewal at T1 (1 s) fails once, then gives a new address.
		renews: []func() (*nclient4.Lease, error){fail, leaseAnswer(net.IPv4(10, 0, 2, 16), 3600)},
	}
	e := run(t, appconfig.Network{Mode: appconfig.ModeDHCP}, c, &fakeOps{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !e.m.WaitAddress(ctx) {
		t.Fatal("no address")
	}
	if got := e.m.Addresses(); len(got) != 1 || got[0].String() != "10.0.2.15/24" {
		t.Errorf("Addresses = %v", got)
	}
	// The address is published before the route and resolv.conf are written: wait for them.
	for _, w := range []string{"up lo", "up eth0", "addr eth0 10.0.2.15/24 2s", "route eth0 0.0.0.0/0 via 10.0.2.2 metric 102"} {
		testdisk.Eventually(t, w, actTimeout, func() bool { return e.ops.has(w) })
	}
	testdisk.Eventually(t, "resolv.conf", actTimeout, func() bool {
		resolv, _ := os.ReadFile(filepath.Join(e.etc, "resolv.conf"))
		return strings.Contains(string(resolv), "nameserver 10.0.2.3\n")
	})
	// Three failures with a 10..40 ms backoff: reported once, then when the delay grows.
	if n := strings.Count(e.out.String(), "no lease yet"); n < 1 || n > 3 {
		t.Errorf("%d 'no lease yet' lines:\n%s", n, e.out.String())
	}
	testdisk.Eventually(t, "renewal", actTimeout, func() bool { return e.ops.has("addr eth0 10.0.2.16/24 1h0m0s") })
	if !e.ops.has("deladdr eth0 10.0.2.15/24") {
		t.Errorf("old address not removed: %v", e.ops.list())
	}
	testdisk.Eventually(t, "address update", actTimeout, func() bool {
		a := e.m.Addresses()
		return len(a) == 1 && a[0].String() == "10.0.2.16/24"
	})
	if req, ren := c.counts(); req != 4 || ren != 2 {
		t.Errorf("%d requests, %d renewals; want 4 and 2", req, ren)
	}
	// The hostname goes to the server.
	m, _ := dhcpv4.New(c.mods...)
	if m.HostName() != "plinth-3f2a9c" {
		t.Errorf("request hostname %q", m.HostName())
	}
	e.stop()
	if evs := e.rec.All(); len(evs) != 2 || evs[0]["address"] != "10.0.2.15/24" || evs[0]["gateway"] != "10.0.2.2" {
		t.Errorf("events = %v", evs)
	}
}

func TestDHCPLeaseExpires(t *testing.T) {
	c := &fakeClient{
		requests: []func() (*nclient4.Lease, error){leaseAnswer(net.IPv4(10, 0, 2, 15), 1), leaseAnswer(net.IPv4(10, 0, 2, 17), 3600)},
		renews:   nil, // every renewal fails
	}
	e := run(t, appconfig.Network{Mode: appconfig.ModeDHCP}, c, &fakeOps{})
	testdisk.Eventually(t, "rediscovery", actTimeout, func() bool { return e.ops.has("addr eth0 10.0.2.17/24 1h0m0s") })
	for _, w := range []string{"deladdr eth0 10.0.2.15/24", "delroute eth0 0.0.0.0/0 via 10.0.2.2 metric 102"} {
		if !e.ops.has(w) {
			t.Errorf("expired lease: no %q in %v", w, e.ops.list())
		}
	}
	if !strings.Contains(e.out.String(), "lease lost") {
		t.Errorf("console:\n%s", e.out.String())
	}
}

func TestStatic(t *testing.T) {
	n := appconfig.Network{Mode: appconfig.ModeStatic, Interface: "52:54:00:12:34:56", Address: "192.0.2.10/24", Gateway: "192.0.2.1", DNS: []string{"192.0.2.53"}}
	e := run(t, n, &fakeClient{}, &fakeOps{fail: map[string]int{"addr": 1}}) // the first attempt fails: retried
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !e.m.WaitAddress(ctx) {
		t.Fatal("no address")
	}
	for _, w := range []string{"addr eth0 192.0.2.10/24 0s", "route eth0 0.0.0.0/0 via 192.0.2.1 metric 102"} {
		testdisk.Eventually(t, w, actTimeout, func() bool { return e.ops.has(w) })
	}
	testdisk.Eventually(t, "resolv.conf", actTimeout, func() bool {
		resolv, _ := os.ReadFile(filepath.Join(e.etc, "resolv.conf"))
		return strings.Contains(string(resolv), "nameserver 192.0.2.53\n")
	})
}

func TestNoMatchingInterface(t *testing.T) {
	e := run(t, appconfig.Network{Mode: appconfig.ModeDHCP, Interface: "eth9"}, &fakeClient{}, &fakeOps{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if e.m.WaitAddress(ctx) {
		t.Error("address without an interface")
	}
	if e.ops.has("up eth0") || !strings.Contains(e.out.String(), `no wired interface found yet matching "eth9"`) {
		t.Errorf("ops %v, console %q", e.ops.list(), e.out.String())
	}
}

func TestGatewayOutsideSubnet(t *testing.T) {
	ops := &fakeOps{}
	l := Lease{Address: netip.MustParsePrefix("10.128.0.5/32"), Routes: []Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.128.0.1")}}}
	if err := applyLease(ops, "eth0", 100, nil, l); err != nil {
		t.Fatal(err)
	}
	want := []string{"addr eth0 10.128.0.5/32 0s", "route eth0 10.128.0.1/32 on-link metric 100", "route eth0 0.0.0.0/0 via 10.128.0.1 metric 100"}
	if got := ops.list(); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}
