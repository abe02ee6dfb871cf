package netup

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/event"
)

// Emitter receives machine-readable events (internal/event's Emitter).
type Emitter interface {
	Emit(event.Event) error
}

// Options configure a Manager.
type Options struct {
	SysRoot   string            // "/sys"
	EtcDir    string            // "/etc": resolv.conf is written there
	Network   appconfig.Network // what to do
	Hostname  string            // sent to the DHCP server (option 12)
	Ops       Ops               // nil: NetlinkOps
	NewClient func(iface string) (Client, error)
	Out       io.Writer // console text; nil: none
	Events    Emitter   // "network" events; nil: none
	Rescan    time.Duration
	Backoff   backoff.Policy // DHCP retries; zero: 1 s doubling to 1 min
}

// Manager configures the network and remembers the addresses it set.
type Manager struct {
	o Options

	mu      sync.Mutex
	addrs   map[string]netip.Prefix // interface -> address
	dns     map[string]Lease        // interface -> lease (for DNS and domain)
	resolv  string                  // last resolv.conf written
	gotAddr chan struct{}
	once    sync.Once
}

// New returns a Manager; Run does the work.
func New(o Options) *Manager {
	if o.Ops == nil {
		o.Ops = NetlinkOps{}
	}
	if o.NewClient == nil {
		o.NewClient = NewNclient4
	}
	if o.Rescan <= 0 {
		o.Rescan = 5 * time.Second
	}
	if o.Backoff == (backoff.Policy{}) {
		o.Backoff = backoff.Policy{Initial: time.Second, Max: time.Minute}
	}
	if o.EtcDir == "" {
		o.EtcDir = "/etc"
	}
	return &Manager{o: o, addrs: map[string]netip.Prefix{}, dns: map[string]Lease{}, gotAddr: make(chan struct{})}
}

func (m *Manager) say(format string, args ...any) {
	if m.o.Out != nil {
		fmt.Fprintf(m.o.Out, "network: "+format+"\r\n", args...)
	}
}

func (m *Manager) emit(ev event.Network) {
	if m.o.Events != nil {
		m.o.Events.Emit(ev)
	}
}

// Run brings up loopback and the wired interfaces (rescanning for ones
// that appear later) and configures them until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	if err := m.o.Ops.LinkUp("lo"); err != nil {
		m.say("loopback: %v", err)
	}
	if len(m.o.Network.DNS) > 0 {
		m.writeResolv()
	}
	started := map[string]bool{}
	warned := false
	t := time.NewTicker(m.o.Rescan)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		var candidates []string
		for _, n := range WiredInterfaces(m.o.SysRoot) {
			if MatchInterface(m.o.SysRoot, n, m.o.Network.Interface) {
				candidates = append(candidates, n)
			}
		}
		if len(candidates) == 0 && !warned {
			m.say("no wired interface found yet%s; still looking", m.selection())
			warned = true
		}
		for _, n := range candidates {
			if started[n] {
				continue
			}
			if m.o.Network.Mode == appconfig.ModeStatic && len(started) > 0 {
				break // one static address, on the first interface
			}
			started[n] = true
			if err := m.o.Ops.LinkUp(n); err != nil {
				m.say("%v", err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if m.o.Network.Mode == appconfig.ModeStatic {
					m.static(ctx, n)
				} else {
					m.dhcp(ctx, n)
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Manager) selection() string {
	if m.o.Network.Interface == "" {
		return ""
	}
	return fmt.Sprintf(" matching %q", m.o.Network.Interface)
}

// static applies the configured address, retrying while it fails (the
// driver may still be settling).
func (m *Manager) static(ctx context.Context, name string) {
	n := m.o.Network
	addr, _ := netip.ParsePrefix(n.Address) // validated by appconfig
	l := Lease{Address: addr}
	if gw, err := netip.ParseAddr(n.Gateway); err == nil {
		dflt := netip.MustParsePrefix("0.0.0.0/0")
		if gw.Is6() {
			dflt = netip.MustParsePrefix("::/0")
		}
		l.Routes = []Route{{Dst: dflt, Gateway: gw}}
	}
	for attempt := 0; ; attempt++ {
		err := applyLease(m.o.Ops, name, m.metric(name), nil, l)
		if err == nil {
			break
		}
		m.say("%s: %v", name, err)
		if !sleep(ctx, m.o.Backoff.Delay(attempt)) {
			return
		}
	}
	m.bound(name, l, "static")
}

// metric orders default routes of several interfaces (lower wins) and
// keeps them from replacing each other.
func (m *Manager) metric(name string) int {
	idx, _ := strconv.Atoi(readTrim(filepath.Join(m.o.SysRoot, "class", "net", name, "ifindex")))
	return 100 + idx
}

// bound records an interface's new configuration and tells everyone.
func (m *Manager) bound(name string, l Lease, mode string) {
	m.mu.Lock()
	m.addrs[name] = l.Address
	m.dns[name] = l
	m.mu.Unlock()
	m.once.Do(func() { close(m.gotAddr) })
	m.writeResolv()
	gw := l.Gateway()
	text := fmt.Sprintf("%s: %s", name, l.Address)
	ev := event.Network{Interface: name, Mode: mode, Address: l.Address.String()}
	if gw.IsValid() {
		text += ", gateway " + gw.String()
		ev.Gateway = gw.String()
	}
	if dns := m.servers(); len(dns) > 0 {
		text += fmt.Sprintf(", DNS %v", dns)
		ev.DNS = addrStrings(dns)
	}
	if mode == "dhcp" {
		if l.LeaseTime > 0 {
			text += fmt.Sprintf(" (DHCP from %s, lease %s)", l.Server, l.LeaseTime)
		} else {
			text += fmt.Sprintf(" (DHCP from %s, infinite lease)", l.Server)
		}
		ev.Lease = &event.Lease{LeaseTime: l.LeaseTime.Seconds()}
	}
	m.say("%s", text)
	m.emit(ev)
}

// unbound forgets an interface's lease.
func (m *Manager) unbound(name string) {
	m.mu.Lock()
	delete(m.addrs, name)
	delete(m.dns, name)
	m.mu.Unlock()
	m.writeResolv()
}

// servers returns the name servers: the config's if it lists any, else
// those of every lease in interface order, without duplicates.
func (m *Manager) servers() []netip.Addr {
	var out []netip.Addr
	for _, s := range m.o.Network.DNS {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		return out
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range slices.Sorted(maps.Keys(m.dns)) {
		for _, a := range m.dns[n].DNS {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

func (m *Manager) domain() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range slices.Sorted(maps.Keys(m.dns)) {
		if d := m.dns[n].Domain; d != "" {
			return d
		}
	}
	return ""
}

func (m *Manager) writeResolv() {
	data := string(ResolvConf(m.servers(), m.domain()))
	m.mu.Lock()
	same := data == m.resolv
	m.resolv = data
	m.mu.Unlock()
	if same {
		return
	}
	if err := writeAtomic(filepath.Join(m.o.EtcDir, "resolv.conf"), []byte(data)); err != nil {
		m.say("%v", err)
	}
}

// Addresses returns the configured addresses, sorted by interface name.
func (m *Manager) Addresses() []netip.Prefix {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []netip.Prefix
	for _, n := range slices.Sorted(maps.Keys(m.addrs)) {
		out = append(out, m.addrs[n])
	}
	return out
}

// WaitAddress waits until some interface has an address or ctx ends, and
// reports which happened.
func (m *Manager) WaitAddress(ctx context.Context) bool {
	select {
	case <-m.gotAddr:
		return true
	case <-ctx.Done():
		return false
	}
}

func addrStrings(as []netip.Addr) []string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return s
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
