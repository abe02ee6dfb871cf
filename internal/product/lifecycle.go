package product

import (
	"math"
	"path"
	"slices"
	"strings"
)

func (d *serviceDecoder) backoff(v val) error {
	f, err := v.fields("initial", "max")
	if err != nil {
		return err
	}
	b := Backoff{DefaultBackoffInitial, DefaultBackoffMax}
	initV, hasInit := f.get("initial")
	if hasInit {
		if b.Initial, err = initV.duration(true); err != nil {
			return err
		}
	}
	if m, ok := f.get("max"); ok {
		if b.Max, err = m.duration(true); err != nil {
			return err
		}
	}
	if b.Initial > b.Max {
		maxV, hasMax := f.get("max")
		switch {
		case !hasMax:
			return initV.errorf("initial %s is longer than the default max %s: set max too", b.Initial, b.Max)
		case !hasInit:
			return maxV.errorf("max %s is shorter than the default initial %s: set initial too", b.Max, b.Initial)
		}
		return initV.errorf("initial %s is longer than max %s", b.Initial, b.Max)
	}
	d.s.Backoff, d.backoffV = b, &v
	return nil
}

func (d *serviceDecoder) stop(v val) error {
	f, err := v.fields("signal", "timeout")
	if err != nil {
		return err
	}
	if sv, ok := f.get("signal"); ok {
		s, err := sv.text()
		if err != nil {
			return err
		}
		if d.s.Stop.Signal, err = ParseSignal(s); err != nil {
			return sv.errorf("%v", err)
		}
	}
	if tv, ok := f.get("timeout"); ok {
		if d.s.Stop.Timeout, err = tv.duration(true); err != nil {
			return err
		}
	}
	return nil
}

func (d *serviceDecoder) after(v val) error {
	items, err := v.eachText(func(it val, s string) error {
		switch {
		case s == d.s.Name:
			return it.errorf("service %q cannot start after itself", s)
		case slices.Contains(d.s.After, s):
			return it.errorf("%q is listed twice", s)
		}
		d.s.After = append(d.s.After, s)
		return nil
	})
	d.afterV = items
	return err
}

// checkAfter checks that every after: names a service and that no
// services wait for each other in a cycle. after[i] are the after:
// items of services[i].
func checkAfter(services []Service, after [][]val) error {
	index := map[string]int{}
	names := make([]string, len(services))
	for i, s := range services {
		index[s.Name], names[i] = i, s.Name
	}
	for i, s := range services {
		for j, name := range s.After {
			if _, ok := index[name]; !ok {
				return after[i][j].errorf("service %q starts after %q, which is not a service (services: %s)%s", s.Name, name, strings.Join(names, ", "), didYouMean(name, names))
			}
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(services))
	var path []int
	var visit func(i int) error
	visit = func(i int) error {
		state[i] = onPath
		path = append(path, i)
		for j, name := range services[i].After {
			next := index[name]
			switch state[next] {
			case onPath:
				return after[i][j].errorf("services wait for each other in a cycle: %s", cycle(services, path, next))
			case unseen:
				if err := visit(next); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i := range services {
		if state[i] == unseen {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// cycle writes the part of path from start, back to start: "a -> b -> a".
func cycle(services []Service, path []int, start int) string {
	var names []string
	for _, i := range path[slices.Index(path, start):] {
		names = append(names, services[i].Name)
	}
	return strings.Join(append(names, services[start].Name), " -> ")
}

func (d *serviceDecoder) health(v val) error {
	f, err := v.fields("http", "tcp", "command", "interval", "timeout", "start-period", "retries")
	if err != nil {
		return err
	}
	h := &HealthCheck{Interval: DefaultHealthInterval, Timeout: DefaultHealthTimeout, Retries: DefaultHealthRetries}
	if err := d.healthProbe(f, h); err != nil {
		return err
	}
	if iv, ok := f.get("interval"); ok {
		if h.Interval, err = iv.duration(true); err != nil {
			return err
		}
	}
	if sv, ok := f.get("start-period"); ok {
		if h.StartPeriod, err = sv.duration(false); err != nil {
			return err
		}
	}
	if rv, ok := f.get("retries"); ok {
		n, err := rv.integer(1, math.MaxInt32)
		if err != nil {
			return err
		}
		h.Retries = int(n)
	}
	tv, ok := f.get("timeout")
	if ok {
		if h.Timeout, err = tv.duration(true); err != nil {
			return err
		}
	}
	switch {
	case h.Timeout > h.Interval && !ok:
		h.Timeout = h.Interval // the default never exceeds a short interval
	case h.Timeout > h.Interval:
		return tv.errorf("timeout %s is longer than interval %s: a check would still run when the next starts", h.Timeout, h.Interval)
	}
	d.s.Health = h
	return nil
}

// healthProbe reads the one of http:, tcp: and command: that f has.
func (d *serviceDecoder) healthProbe(f fields, h *HealthCheck) error {
	var kinds []string // in file order
	for _, k := range f.keys {
		if k == "http" || k == "tcp" || k == "command" {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		return at(f.parent.Node, f.parent.field, "want one of http:, tcp: or command:")
	case 1:
	default:
		return f.vals[kinds[1]].errorf("a health check has one of http:, tcp: or command:, not both %s: and %s:", kinds[0], kinds[1])
	}
	v := f.vals[kinds[0]]
	switch kinds[0] {
	case "http":
		h.Kind = HealthHTTP
		return httpProbe(v, h)
	case "tcp":
		h.Kind = HealthTCP
		pf, err := v.fields("port")
		if err != nil {
			return err
		}
		return probePort(pf, h)
	}
	h.Kind = HealthCommand
	return d.commandProbe(v, h)
}

func probePort(f fields, h *HealthCheck) error {
	pv, ok := f.get("port")
	if !ok {
		return f.missing("port", "the TCP port on 127.0.0.1 to check, 1 to 65535")
	}
	n, err := pv.integer(1, 65535)
	h.Port = int(n)
	return err
}

func httpProbe(v val, h *HealthCheck) error {
	f, err := v.fields("port", "path", "status")
	if err != nil {
		return err
	}
	if err := probePort(f, h); err != nil {
		return err
	}
	h.Path, h.Status = DefaultHTTPPath, DefaultHTTPStatus
	if pv, ok := f.get("path"); ok {
		if h.Path, err = pv.line(); err != nil {
			return err
		}
		if !strings.HasPrefix(h.Path, "/") || strings.ContainsAny(h.Path, " #") {
			return pv.errorf("want a URL path starting with / (no spaces or #), e.g. /healthz, got %q", h.Path)
		}
	}
	if sv, ok := f.get("status"); ok {
		n, err := sv.integer(100, 599)
		if err != nil {
			return err
		}
		h.Status = int(n)
	}
	return nil
}

func (d *serviceDecoder) commandProbe(v val, h *HealthCheck) error {
	items, err := v.items()
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return v.errorf("want the program and its arguments, e.g. [/usr/bin/acmectl, ping]")
	}
	for i, it := range items {
		t, err := d.template(it)
		if err != nil {
			return err
		}
		if i == 0 && (len(t.Settings()) > 0 || !path.IsAbs(t.String())) {
			return it.errorf("want the program as an absolute path in the runtime image (there is no shell or PATH search), got %q", t.String())
		}
		h.Command = append(h.Command, t)
	}
	return nil
}
