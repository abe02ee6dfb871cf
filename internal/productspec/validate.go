package productspec

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/internal/setting"
)

// DataRoot is where the data partition is mounted; DataDirs and the
// services' data lie below it. LogDir below it is the supervisor's.
const (
	DataRoot = "/data"
	LogDir   = "/data/log"
)

// MaxCapability is the highest Linux capability number a service may
// keep (CAP_CHECKPOINT_RESTORE in Linux 6.1).
const MaxCapability = 40

// MaxName is the longest service, user or group name.
const MaxName = 32

// ValidationError lists every problem found in a Spec, one per entry,
// each naming the field it concerns ("services[1] (backup).health.port").
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "productspec: " + e.Problems[0]
	}
	return fmt.Sprintf("productspec: %d problems: %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

// accounts indexes the users and groups of a spec, root included.
type accounts struct {
	users   map[string]User
	uids    map[uint32]bool
	gids    map[uint32]bool
	setting map[string]setting.Decl
}

func (s *Spec) validate() error {
	var p problems
	if s.Schema != SchemaVersion {
		p.add("schema", "%d, this build reads %d", s.Schema, SchemaVersion)
	}
	if strings.TrimSpace(s.Product) == "" {
		p.add("product", "missing")
	}
	if strings.TrimSpace(s.Version) == "" {
		p.add("version", "missing")
	}
	acc := accounts{users: map[string]User{"root": {Name: "root"}}, uids: map[uint32]bool{0: true}, gids: map[uint32]bool{0: true}}
	acc.setting = validateSettings(s.Settings, &p)
	validateGroups(s.Groups, acc, &p)
	validateUsers(s.Users, acc, &p)
	validateDataDirs(s.DataDirs, acc, &p)
	s.validateServices(acc, &p)
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func validateSettings(decls []setting.Decl, p *problems) map[string]setting.Decl {
	byName := map[string]setting.Decl{}
	for i, d := range decls {
		field := fmt.Sprintf("settings[%d]", i)
		if msg := setting.CheckName(d.Name); msg != "" {
			p.add(field+".name", "%s", msg)
		} else if _, dup := byName[d.Name]; dup {
			p.add(field+".name", "setting %q is declared twice", d.Name)
		}
		byName[d.Name] = d
		if d.Type < setting.TypeString || d.Type > setting.TypeList {
			p.add(field+".type", "%v is not string, int, bool or list", d.Type)
		} else if d.Default != nil && d.Default.Type != d.Type {
			p.add(field+".default", "a %s value for a setting of type %s", d.Default.Type, d.Type)
		}
	}
	return byName
}

func validateGroups(groups []Group, acc accounts, p *problems) {
	names := map[string]bool{"root": true}
	for i, g := range groups {
		field := fmt.Sprintf("groups[%d]", i)
		if msg := checkAccountName(g.Name); msg != "" {
			p.add(field+".name", "%s", msg)
		} else if names[g.Name] {
			p.add(field+".name", "group %q is listed twice (root is implicit)", g.Name)
		}
		names[g.Name] = true
		if acc.gids[g.GID] {
			p.add(field+".gid", "gid %d is used twice (0 is root's)", g.GID)
		}
		acc.gids[g.GID] = true
	}
}

func validateUsers(users []User, acc accounts, p *problems) {
	for i, u := range users {
		field := fmt.Sprintf("users[%d]", i)
		if msg := checkAccountName(u.Name); msg != "" {
			p.add(field+".name", "%s", msg)
		} else if _, dup := acc.users[u.Name]; dup {
			p.add(field+".name", "user %q is listed twice (root is implicit)", u.Name)
		}
		acc.users[u.Name] = u
		if acc.uids[u.UID] {
			p.add(field+".uid", "uid %d is used twice (0 is root's)", u.UID)
		}
		acc.uids[u.UID] = true
		if !acc.gids[u.GID] {
			p.add(field+".gid", "primary group %d is not one of groups (nor root's 0)", u.GID)
		}
	}
}

func validateDataDirs(dirs []DataDir, acc accounts, p *problems) {
	seen := map[string]bool{}
	for i, d := range dirs {
		field := fmt.Sprintf("dataDirs[%d]", i)
		switch {
		case !underData(d.Path):
			p.add(field+".path", "%q must be a clean absolute path below %s", d.Path, DataRoot)
		case d.Path == LogDir || strings.HasPrefix(d.Path, LogDir+"/"):
			p.add(field+".path", "%q: %s holds the services' logs, written by the supervisor", d.Path, LogDir)
		case seen[d.Path]:
			p.add(field+".path", "%q is listed twice", d.Path)
		}
		seen[d.Path] = true
		if !acc.uids[d.UID] {
			p.add(field+".uid", "%d is not the uid of root or of one of users", d.UID)
		}
		if !acc.gids[d.GID] {
			p.add(field+".gid", "%d is not the gid of root or of one of groups", d.GID)
		}
		switch {
		case d.Mode > 0o7777:
			p.add(field+".mode", "%#o has bits beyond 07777", d.Mode)
		case d.Mode&0o700 == 0:
			p.add(field+".mode", "%#o gives its owner no access", d.Mode)
		}
	}
}

func underData(p string) bool {
	return path.IsAbs(p) && path.Clean(p) == p && strings.HasPrefix(p, DataRoot+"/")
}

func (s *Spec) validateServices(acc accounts, p *problems) {
	index := map[string]int{}
	for i, svc := range s.Services {
		field := fmt.Sprintf("services[%d]", i)
		if svc.Name != "" {
			field = fmt.Sprintf("services[%d] (%s)", i, svc.Name)
		}
		if msg := checkServiceName(svc.Name); msg != "" {
			p.add(field+".name", "%s", msg)
		} else if _, dup := index[svc.Name]; dup {
			p.add(field+".name", "duplicate service name %q", svc.Name)
		}
		if _, dup := index[svc.Name]; !dup {
			index[svc.Name] = i
		}
		sv := serviceCheck{svc: &svc, field: field, p: p, acc: acc}
		sv.program()
		sv.identity(s.DataDirs)
		sv.lifecycle()
		sv.health()
	}
	s.validateOrder(index, p)
}

// serviceCheck validates one service.
type serviceCheck struct {
	svc   *Service
	field string
	p     *problems
	acc   accounts
}

func (c serviceCheck) add(field, format string, args ...any) {
	c.p.add(c.field+"."+field, format, args...)
}

func (c serviceCheck) program() {
	s := c.svc
	switch {
	case s.Exec == "":
		c.add("exec", "missing")
	case !path.IsAbs(s.Exec) || path.Clean(s.Exec) != s.Exec:
		c.add("exec", "%q must be a clean absolute path such as /bbin/plinth-demo", s.Exec)
	}
	for i, a := range s.Args {
		c.template(fmt.Sprintf("args[%d]", i), a)
	}
	seen := map[string]bool{}
	for i, e := range s.Env {
		field := fmt.Sprintf("env[%d]", i)
		switch {
		case !IsEnvName(e.Name):
			c.add(field+".name", "%q is not a variable name ([A-Za-z_][A-Za-z0-9_]*)", e.Name)
		case strings.HasPrefix(e.Name, "PLINTH_"):
			c.add(field+".name", "%s: PLINTH_ variables are set by the supervisor", e.Name)
		case seen[e.Name]:
			c.add(field+".name", "%s is set twice", e.Name)
		}
		seen[e.Name] = true
		c.template(field+".value", e.Value)
	}
}

// template checks that t names declared settings only and holds no NUL.
func (c serviceCheck) template(field string, t setting.Template) {
	for _, seg := range t {
		if seg.Setting != "" {
			if _, ok := c.acc.setting[seg.Setting]; !ok {
				c.add(field, "${%s} is not a declared setting", seg.Setting)
			}
		} else if strings.ContainsRune(seg.Text, 0) {
			c.add(field, "%q contains NUL", seg.Text)
		}
	}
}

func (c serviceCheck) identity(dirs []DataDir) {
	s := c.svc
	u, ok := c.acc.users[s.User]
	switch {
	case s.User == "":
		c.add("user", "missing (root or one of users)")
	case !ok:
		c.add("user", "%q is neither root nor one of users", s.User)
	case s.UID != u.UID:
		c.add("uid", "%d, but user %q has uid %d", s.UID, s.User, u.UID)
	}
	if s.UID == 0 && s.User != "root" {
		c.add("uid", "0 is root's: a service runs as root only with user root")
	}
	if !c.acc.gids[s.GID] {
		c.add("gid", "%d is not the gid of root or of one of groups", s.GID)
	}
	switch {
	case s.WorkDir == "":
		c.add("workdir", "missing")
	case !path.IsAbs(s.WorkDir) || path.Clean(s.WorkDir) != s.WorkDir:
		c.add("workdir", "%q must be a clean absolute path", s.WorkDir)
	case strings.HasPrefix(s.WorkDir, DataRoot+"/") && !slices.ContainsFunc(dirs, func(d DataDir) bool { return d.Path == s.WorkDir }):
		c.add("workdir", "%q is below %s but not one of dataDirs, so nothing creates it", s.WorkDir, DataRoot)
	}
	seen := map[int]bool{}
	for i, cp := range s.Capabilities {
		switch {
		case cp < 0 || cp > MaxCapability:
			c.add(fmt.Sprintf("capabilities[%d]", i), "%d is not a capability number (0 to %d)", cp, MaxCapability)
		case seen[cp]:
			c.add(fmt.Sprintf("capabilities[%d]", i), "%d is listed twice", cp)
		}
		seen[cp] = true
	}
	if len(s.Capabilities) > 0 && s.UID == 0 {
		c.add("capabilities", "a service running as root has every capability: list them only for another user")
	}
}

// stopSignals are the signals a service may be stopped with (0: SIGTERM).
var stopSignals = []syscall.Signal{0, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGKILL}

func (c serviceCheck) lifecycle() {
	s := c.svc
	switch s.Restart {
	case RestartOnFailure, RestartAlways, RestartNever:
	default:
		c.add("restart", "%q is not %q, %q or %q", s.Restart, RestartOnFailure, RestartAlways, RestartNever)
	}
	b := s.Backoff
	switch {
	case b.Initial < 0 || b.Max < 0:
		c.add("backoff", "negative duration")
	case b.Initial > 0 && b.Max > 0 && b.Initial > b.Max:
		c.add("backoff.max", "%s is shorter than initial %s", time.Duration(b.Max), time.Duration(b.Initial))
	}
	if !slices.Contains(stopSignals, syscall.Signal(s.Stop.Signal)) {
		c.add("stop.signal", "%d is not SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH or SIGKILL", s.Stop.Signal)
	}
	if s.Stop.Timeout < 0 {
		c.add("stop.timeout", "negative duration")
	}
}

func (c serviceCheck) health() {
	h := c.svc.Health
	if h == nil {
		return
	}
	switch h.Kind {
	case HealthHTTP:
		c.port(h.Port)
		if !strings.HasPrefix(h.Path, "/") || strings.ContainsAny(h.Path, " #\x00") {
			c.add("health.path", "%q is not a URL path starting with /", h.Path)
		}
		if h.Status < 100 || h.Status > 599 {
			c.add("health.status", "%d is not an HTTP status (100 to 599)", h.Status)
		}
	case HealthTCP:
		c.port(h.Port)
	case HealthCommand:
		c.command(h.Command)
	default:
		c.add("health.kind", "%q is not %q, %q or %q", h.Kind, HealthHTTP, HealthTCP, HealthCommand)
	}
	if h.Kind != HealthHTTP && (h.Path != "" || h.Status != 0) {
		c.add("health", "path and status are for kind http only")
	}
	if h.Kind != HealthCommand && len(h.Command) > 0 {
		c.add("health.command", "only for kind command")
	}
	if h.Kind == HealthCommand && h.Port != 0 {
		c.add("health.port", "not for kind command")
	}
	switch {
	case h.Interval <= 0:
		c.add("health.interval", "must be above zero")
	case h.Timeout <= 0 || h.Timeout > h.Interval:
		c.add("health.timeout", "%s must be above zero and at most interval %s", time.Duration(h.Timeout), time.Duration(h.Interval))
	}
	if h.StartPeriod < 0 {
		c.add("health.startPeriod", "negative duration")
	}
	if h.Retries < 1 {
		c.add("health.retries", "%d, want at least 1", h.Retries)
	}
}

func (c serviceCheck) port(n int) {
	if n < 1 || n > 65535 {
		c.add("health.port", "%d is not a TCP port (1 to 65535)", n)
	}
}

func (c serviceCheck) command(argv []setting.Template) {
	if len(argv) == 0 {
		c.add("health.command", "missing: want the program and its arguments")
		return
	}
	if len(argv[0].Settings()) > 0 || !path.IsAbs(argv[0].String()) {
		c.add("health.command[0]", "%q must be an absolute path in the runtime image", argv[0].String())
	}
	for i, a := range argv {
		c.template(fmt.Sprintf("health.command[%d]", i), a)
	}
}

// validateOrder checks After: every name is another service listed
// earlier (Services are in start order), which also rules out cycles;
// a cycle is reported as one.
func (s *Spec) validateOrder(index map[string]int, p *problems) {
	for i, svc := range s.Services {
		field := fmt.Sprintf("services[%d] (%s).after", i, svc.Name)
		seen := map[string]bool{}
		for _, dep := range svc.After {
			j, ok := index[dep]
			switch {
			case !ok:
				p.add(field, "%q is not a service", dep)
			case dep == svc.Name:
				p.add(field, "a service cannot start after itself")
			case seen[dep]:
				p.add(field, "%q is listed twice", dep)
			case j > i:
				if cyc := s.cycle(index, i); cyc != "" {
					p.add(field, "services wait for each other in a cycle: %s", cyc)
				} else {
					p.add(field, "%q is listed after %q: services must be in start order", dep, svc.Name)
				}
			}
			seen[dep] = true
		}
	}
}

// cycle returns a cycle of After through service i ("a -> b -> a"), or "".
func (s *Spec) cycle(index map[string]int, i int) string {
	var path []int
	done := map[int]bool{}
	var visit func(k int) bool
	visit = func(k int) bool {
		path = append(path, k)
		if k == i && len(path) > 1 {
			return true
		}
		if !done[k] {
			done[k] = true
			for _, dep := range s.Services[k].After {
				if j, ok := index[dep]; ok && visit(j) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if !visit(i) {
		return ""
	}
	names := make([]string, len(path))
	for n, k := range path {
		names[n] = s.Services[k].Name
	}
	return strings.Join(names, " -> ")
}

// checkServiceName allows names that are safe as file names: the log is
// /data/log/<name>.log.
func checkServiceName(s string) string {
	if s == "" {
		return "missing"
	}
	if len(s) > MaxName {
		return fmt.Sprintf("%q is longer than %d characters", s, MaxName)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_' || r == '.')
		if !ok {
			return fmt.Sprintf("%q: use lower-case letters, digits, and - _ . after the first character", s)
		}
	}
	return ""
}

// checkAccountName allows user and group names as /etc/passwd and
// /etc/group take them; all digits would read as a numeric id.
func checkAccountName(s string) string {
	switch {
	case s == "":
		return "missing"
	case len(s) > MaxName:
		return fmt.Sprintf("%q is longer than %d characters", s, MaxName)
	case strings.Trim(s, "0123456789") == "":
		return fmt.Sprintf("%q is all digits, which reads as a numeric id", s)
	case s[0] == '-':
		return fmt.Sprintf("%q starts with '-'", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("%q: use lower-case letters, digits, '-' and '_'", s)
		}
	}
	return ""
}

// IsEnvName reports whether s may name an environment variable:
// [A-Za-z_][A-Za-z0-9_]*.
func IsEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
