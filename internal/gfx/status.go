package gfx

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"strings"
	"time"
)

// Status is what the installed appliance shows on its screen.
type Status struct {
	Product, Version, Hostname string
	Addresses                  []string // e.g. "192.168.1.20/24"; the first is the one people need
	Services                   []ServiceStatus
	Uptime                     time.Duration
	Message                    string // one line for the operator, e.g. what is wrong
	// SecureBoot is a few words on Secure Boot and the kernel's
	// lockdown, e.g. "on, lockdown integrity", shown under the
	// addresses; "" leaves the line out. SecureBootOn colours it: the
	// good colour when the firmware verified the boot, the warning one
	// when not.
	SecureBoot   string
	SecureBootOn bool
}

// ServiceStatus is one payload service.
type ServiceStatus struct {
	Name     string
	State    string // StateRunning, StateRestarting, StateFailed, or another word shown as it is
	Restarts int
	Since    time.Duration // how long it has been in State
	// Health, when set (HealthHealthy, HealthStarting, HealthUnhealthy),
	// is the word shown and coloured instead of State, which then leads
	// the smaller detail; Reason (the last check, or how it ended) is
	// shown there too when the service is not healthy.
	Health string
	Reason string
}

// Service states with their own colours. internal/supervise's
// "backoff", "starting" and "stopping" are shown like restarting,
// "stopped" like failed.
const (
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateFailed     = "failed"
)

// Health words (servicestate.Health's) with their own colours.
const (
	HealthHealthy   = "healthy"
	HealthStarting  = "starting"
	HealthUnhealthy = "unhealthy"
)

// word is what the screen says about a service: its health, or else
// its state.
func (s ServiceStatus) word() string {
	if s.Health != "" {
		return s.Health
	}
	return s.State
}

// detail is the smaller text after the word.
func (s ServiceStatus) detail() string {
	d := "for " + human(s.Since)
	if s.Health != "" {
		switch {
		case s.Health == HealthHealthy || s.Reason == "":
			d = s.State + " " + d
		case strings.HasPrefix(s.Reason, s.State): // "waiting for db (starting)"
			d = s.Reason + "; " + d
		default:
			d = s.Reason + "; " + s.State + " " + d
		}
	}
	if s.Restarts > 0 {
		d += fmt.Sprintf(", %d restart", s.Restarts)
		if s.Restarts > 1 {
			d += "s"
		}
	}
	return d
}

// DrawStatus draws the appliance's status screen over the whole of dst.
func (r *Renderer) DrawStatus(dst draw.Image, s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paint(dst, r.layoutStatus(s, dst.Bounds().Size()))
}

// StatusOverflows is Overflows for the status screen.
func (r *Renderer) StatusOverflows(s Status, size image.Point) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.layoutStatus(s, size).overflows()
}

// severity orders states and health words for the screen: problems
// first.
func severity(word string) int {
	switch word {
	case StateFailed, "stopped", HealthUnhealthy:
		return 0
	case StateRunning, HealthHealthy:
		return 2
	}
	return 1
}

func (r *Renderer) stateColor(state string) color.RGBA {
	switch severity(state) {
	case 0:
		return r.pal.bad
	case 2:
		return r.pal.good
	}
	if state == "" {
		return r.pal.dim
	}
	return r.pal.warn
}

// layoutStatus lays out the status screen: logo, product and version
// large at the top with hostname and uptime at the right; then the
// addresses as the largest text on the screen; the services with a
// coloured dot each; the message at the bottom. Wide screens put
// addresses and services side by side.
func (r *Renderer) layoutStatus(s Status, size image.Point) *layout {
	m := newMetrics(size)
	p := r.pal
	l := newLayout(size)
	l.fill(image.Rectangle{Max: size}, p.bg)
	left, right := m.mx, m.w-m.mx
	regular := textStyle{face: r.face(fontRegular, int(m.s))}
	label := textStyle{face: r.face(fontRegular, m.u(0.9))}

	// Header.
	top, headH := m.u(1.5), m.u(5)
	x := left
	if lr := r.logo(l, left, top, headH, m.w/4); !lr.Empty() {
		x = lr.Max.X + m.u(1.2)
	}
	host := textStyle{face: r.face(fontBold, m.u(1.3))}
	hostText, upText := clean(s.Hostname), "up "+human(s.Uptime)
	sideW := min(max(host.width(hostText), label.width(upText)), (right-x)*2/5)
	side := image.Rect(right-sideW, top, right, top+headH)
	l.place("hostname", hostText, host, p.fg, image.Rect(side.Min.X, top+m.u(0.6), right, top+m.u(2.6)), alignRight)
	l.place("uptime", upText, label, p.dim, image.Rect(side.Min.X, top+m.u(2.8), right, top+m.u(4.2)), alignRight)
	product := clean(s.Product)
	if product == "" {
		product = clean(r.brand.Product)
	}
	nameRight := side.Min.X - m.u(1.5)
	l.place("product", product, textStyle{face: r.face(fontBold, m.u(2.4))}, p.fg, image.Rect(x, top, nameRight, top+m.u(3.1)), alignLeft)
	l.place("version", clean(s.Version), textStyle{face: r.face(fontRegular, m.u(1.3))}, p.dim, image.Rect(x, top+m.u(3.1), nameRight, top+headH), alignLeft)
	y := top + headH + m.u(1)
	l.header = image.Rect(0, 0, m.w, y)
	l.fill(image.Rect(left, y, right, y+max(1, m.u(0.08))), p.line)
	y += m.u(1.2)

	// Message at the bottom, up to two lines.
	bottom := m.h - m.u(1)
	if s.Message != "" {
		rowH := m.u(1.5)
		lines := regular.wrap(tabbed(s.Message), right-left, right-left)
		if len(lines) > 2 {
			lines = []string{lines[0], regular.fit(strings.Join(lines[1:], " "), right-left)}
		}
		bottom -= len(lines) * rowH
		for i, t := range lines {
			row := image.Rect(left, bottom+i*rowH, right, bottom+(i+1)*rowH)
			l.text("message", t, regular, p.fg, left, baseline(regular.face, row), row)
		}
		bottom -= m.u(0.8)
	}

	l.region = image.Rect(0, y, m.w, bottom)
	addrCol, svcCol := image.Rect(left, y, right, bottom), image.Rect(left, y, right, bottom)
	wide := m.w*10 >= m.h*16
	if wide {
		mid := left + (right-left)*9/20
		addrCol.Max.X = mid
		svcCol.Min.X = mid + m.u(2)
	}
	end := r.layoutAddresses(l, m, s.Addresses, addrCol)
	if s.SecureBoot != "" {
		c := p.warn
		if s.SecureBootOn {
			c = p.good
		}
		end += m.u(0.5)
		l.place("secure boot", "Secure Boot "+clean(s.SecureBoot), label, c, image.Rect(addrCol.Min.X, end, addrCol.Max.X, end+m.u(1.4)), alignLeft)
		end += m.u(1.4)
	}
	if !wide {
		svcCol.Min.Y = end + m.u(1)
	}
	r.layoutServices(l, m, s.Services, svcCol)
	return l
}

// layoutAddresses lists the addresses in col in the largest monospace
// size (down to body size) at which they all fit, and returns where the
// list ends.
func (r *Renderer) layoutAddresses(l *layout, m metrics, addrs []string, col image.Rectangle) int {
	p := r.pal
	label := textStyle{face: r.face(fontRegular, m.u(0.9))}
	y := col.Min.Y
	l.place("addresses label", "Network", label, p.dim, image.Rect(col.Min.X, y, col.Max.X, y+m.u(1.4)), alignLeft)
	y += m.u(1.5)
	if len(addrs) == 0 {
		st := textStyle{face: r.face(fontRegular, m.u(1.4))}
		l.place("no address", "No network address yet", st, p.warn, image.Rect(col.Min.X, y, col.Max.X, y+m.u(2.2)), alignLeft)
		return y + m.u(2.2)
	}
	const maxShown = 4
	shown := addrs
	if len(addrs) > maxShown {
		shown = addrs[:maxShown-1]
	}
	var st textStyle
	for size := 2.2; ; size -= 0.2 {
		st = textStyle{face: r.face(fontMono, m.u(size))}
		widest := 0
		for _, a := range shown {
			widest = max(widest, st.width(clean(a)))
		}
		if widest <= col.Dx() || size <= 1 {
			break
		}
	}
	rowH := st.face.ascent + st.face.descent + m.u(0.5)
	for i, a := range shown {
		l.place(fmt.Sprintf("address %d", i), clean(a), st, p.fg, image.Rect(col.Min.X, y, col.Max.X, y+rowH), alignLeft)
		y += rowH
	}
	if len(shown) < len(addrs) {
		l.place("more addresses", fmt.Sprintf("and %d more", len(addrs)-len(shown)), label, p.dim, image.Rect(col.Min.X, y, col.Max.X, y+m.u(1.4)), alignLeft)
		y += m.u(1.4)
	}
	return y
}

// layoutServices lists the services in col: a dot in the state's
// colour, the name, the state, and how long and how often restarted.
// If they do not all fit, problems are listed first and the last row
// says how many are left out.
func (r *Renderer) layoutServices(l *layout, m metrics, svcs []ServiceStatus, col image.Rectangle) {
	p := r.pal
	label := textStyle{face: r.face(fontRegular, m.u(0.9))}
	regular := textStyle{face: r.face(fontRegular, int(m.s))}
	y := col.Min.Y
	head := image.Rect(col.Min.X, y, col.Max.X, y+m.u(1.4))
	l.place("services label", "Services", label, p.dim, head, alignLeft)
	if sum, c := r.summary(svcs); sum != "" {
		x := col.Min.X + label.width("Services") + m.u(1)
		l.place("services summary", sum, label, c, image.Rect(x, head.Min.Y, col.Max.X, head.Max.Y), alignLeft)
	}
	y += m.u(1.5)
	rowH := m.u(1.7)
	if len(svcs) == 0 {
		l.place("no services", "No services configured", regular, p.dim, image.Rect(col.Min.X, y, col.Max.X, y+rowH), alignLeft)
		return
	}
	room := max(0, (col.Max.Y-y)/rowH)
	shown, hidden := svcs, 0
	if len(svcs) > room {
		shown = slices.Clone(svcs)
		slices.SortStableFunc(shown, func(a, b ServiceStatus) int { return cmp.Compare(severity(a.word()), severity(b.word())) })
		keep := max(0, room-1)
		shown, hidden = shown[:keep], len(svcs)-keep
	}
	nameW := 0
	for _, sv := range shown {
		nameW = max(nameW, regular.width(clean(sv.Name)))
	}
	dot := m.u(0.7)
	nameX := col.Min.X + dot + m.u(0.7)
	nameW = min(nameW, (col.Max.X-nameX)*2/5)
	stateX := nameX + nameW + m.u(1.2)
	stateW := 0
	for _, sv := range shown {
		stateW = max(stateW, regular.width(clean(sv.word())))
	}
	stateW = min(stateW, (col.Max.X-stateX)/2)
	detailX := stateX + stateW + m.u(1)
	for i, sv := range shown {
		row := image.Rect(col.Min.X, y, col.Max.X, y+rowH)
		c := r.stateColor(sv.word())
		cy := row.Min.Y + (rowH-dot)/2
		l.round(image.Rect(col.Min.X, cy, col.Min.X+dot, cy+dot), dot/2, c)
		what := fmt.Sprintf("service %d", i)
		l.place(what+" name", clean(sv.Name), regular, p.fg, image.Rect(nameX, row.Min.Y, nameX+nameW, row.Max.Y), alignLeft)
		l.place(what+" state", clean(sv.word()), regular, c, image.Rect(stateX, row.Min.Y, stateX+stateW, row.Max.Y), alignLeft)
		// The smaller detail shares the state's baseline.
		dbox := image.Rect(detailX, row.Min.Y, col.Max.X, row.Max.Y)
		detail := label.fit(clean(sv.detail()), dbox.Dx())
		l.text(what+" detail", detail, label, p.dim, detailX, baseline(regular.face, row), dbox)
		y += rowH
	}
	if hidden > 0 {
		l.place("more services", fmt.Sprintf("and %d more", hidden), regular, p.dim, image.Rect(nameX, y, col.Max.X, y+rowH), alignLeft)
	}
}

// summary is a few words on the services' health, and their colour.
func (r *Renderer) summary(svcs []ServiceStatus) (string, color.RGBA) {
	if len(svcs) == 0 {
		return "", r.pal.dim
	}
	counts := map[int]int{}
	withHealth := false
	for _, s := range svcs {
		counts[severity(s.word())]++
		withHealth = withHealth || s.Health != ""
	}
	if withHealth {
		switch {
		case counts[0] > 0:
			return fmt.Sprintf("%d of %d unhealthy", counts[0], len(svcs)), r.pal.bad
		case counts[1] > 0:
			return fmt.Sprintf("%d of %d starting", counts[1], len(svcs)), r.pal.warn
		}
		return "all healthy", r.pal.good
	}
	switch {
	case counts[0] > 0:
		return fmt.Sprintf("%d of %d not running", counts[0]+counts[1], len(svcs)), r.pal.bad
	case counts[1] > 0:
		return fmt.Sprintf("%d of %d not running", counts[1], len(svcs)), r.pal.warn
	}
	return "all running", r.pal.good
}

// human is d for people, in its two largest units, the second left
// out when zero: "45s", "3m 20s", "5m", "5h 2m", "12d 3h".
func human(d time.Duration) string {
	d = max(0, d.Round(time.Second))
	days, h, mi, s := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	two := func(a int, ua string, b int, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
	}
	switch {
	case days > 0:
		return two(days, "d", h, "h")
	case h > 0:
		return two(h, "h", mi, "m")
	case mi > 0:
		return two(mi, "m", s, "s")
	}
	return fmt.Sprintf("%ds", s)
}
