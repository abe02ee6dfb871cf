package product

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/internal/productspec"
	"gopkg.in/yaml.v3"
)

// Defaults of a service's fields.
const (
	DefaultRestart        = RestartOnFailure
	DefaultStopSignal     = syscall.SIGTERM
	DefaultHealthInterval = 10 * time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthRetries  = 3
	DefaultHTTPPath       = "/"
	DefaultHTTPStatus     = 200
	// MaxServiceName is the longest service name; it is also a user name.
	MaxServiceName = 32
)

// The restart and stop timing defaults, as the supervisor's own
// (internal/supervise) for a zero value.
const (
	DefaultBackoffInitial = time.Second
	DefaultBackoffMax     = time.Minute
	DefaultStopTimeout    = 10 * time.Second
)

// DataMount is where the data partition is mounted; a service's default
// workdir is DataMount/<name>.
const DataMount = "/data"

// serviceField reads one key of a service entry.
type serviceField struct {
	key  string
	read func(d *serviceDecoder, v val) error
}

// serviceFields are a service's keys, in the order errors list them.
var serviceFields = []serviceField{
	{"name", (*serviceDecoder).name},
	{"go", (*serviceDecoder).goPackage},
	{"file", (*serviceDecoder).file},
	{"args", (*serviceDecoder).args},
	{"env", (*serviceDecoder).env},
	{"user", (*serviceDecoder).user},
	{"group", (*serviceDecoder).group},
	{"workdir", (*serviceDecoder).workdir},
	{"capabilities", (*serviceDecoder).capabilities},
	{"restart", (*serviceDecoder).restart},
	{"backoff", (*serviceDecoder).backoff},
	{"stop", (*serviceDecoder).stop},
	{"after", (*serviceDecoder).after},
	{"health", (*serviceDecoder).health},
}

// serviceDecoder reads one entry of services:.
type serviceDecoder struct {
	s        Service
	settings []Setting
	lines    map[string]position
	nameV    val   // the name: value
	program  *val  // the go: or file: value
	backoffV *val  // the backoff: value
	afterV   []val // the after: items
}

// decodeService reads one entry of services: into d.s.
func decodeService(v val, settings []Setting, lines map[string]position) (*serviceDecoder, error) {
	d := &serviceDecoder{settings: settings, lines: lines}
	keys := make([]string, len(serviceFields))
	for i, sf := range serviceFields {
		keys[i] = sf.key
	}
	f, err := v.fields(keys...)
	if err != nil {
		return nil, err
	}
	var ok bool
	if d.nameV, ok = f.get("name"); !ok {
		return nil, f.missing("name", "the service's name, e.g. name: db")
	}
	for _, sf := range serviceFields {
		if fv, ok := f.get(sf.key); ok {
			if err := sf.read(d, fv); err != nil {
				return nil, err
			}
		}
	}
	return d, d.finish(f)
}

// finish checks what involves several keys and fills in defaults.
func (d *serviceDecoder) finish(f fields) error {
	s := &d.s
	if d.program == nil {
		return at(f.parent.Node, f.parent.field, "service %q has no program: add go: <main package> or file: <static binary>", s.Name)
	}
	if s.User == "" {
		if s.Name == "root" {
			return at(f.parent.Node, join(f.parent.field, "user"), "service %q would run as root: write user: root if that is meant", s.Name)
		}
		s.User = s.Name
	}
	if s.Group == "" {
		s.Group = s.User
	}
	if s.User == "root" && len(s.Capabilities) > 0 {
		return at(f.parent.Node, join(f.parent.field, "capabilities"), "service %q runs as root, which has every capability: remove capabilities:, or give it a user of its own to keep only these", s.Name)
	}
	if s.WorkDir == "" {
		s.WorkDir = DataMount + "/" + s.Name
	}
	if s.Restart == 0 {
		s.Restart = DefaultRestart
	}
	if d.backoffV != nil && s.Restart == RestartNever {
		return d.backoffV.errorf("backoff has no effect with restart: never: remove it")
	}
	if s.Backoff == (Backoff{}) {
		s.Backoff = Backoff{DefaultBackoffInitial, DefaultBackoffMax}
	}
	if s.Stop.Signal == 0 {
		s.Stop.Signal = DefaultStopSignal
	}
	if s.Stop.Timeout == 0 {
		s.Stop.Timeout = DefaultStopTimeout
	}
	return nil
}

func (d *serviceDecoder) name(v val) error {
	s, err := v.text()
	if err != nil {
		return err
	}
	if msg := checkName(s, "service"); msg != "" {
		return v.errorf("%s", msg)
	}
	d.s.Name = s
	return nil
}

// checkName returns why s is not a service name (a-z, 0-9 and '-') or,
// when what is "user" or "group", an account name (also '_'), or "".
// All-digit names are refused: tools read them as numeric ids.
func checkName(s, what string) string {
	maxLen, allowed, extra := MaxServiceName, "a-z, 0-9 and '-'", ""
	if what != "service" {
		maxLen, allowed, extra = maxAccountName, "a-z, 0-9, '_' and '-'", "_"
	}
	switch {
	case s == "":
		return fmt.Sprintf("empty %s name", what)
	case len(s) > maxLen:
		return fmt.Sprintf("%s name %q is %d characters long; at most %d", what, s, len(s), maxLen)
	case strings.Trim(s, "0123456789") == "":
		return fmt.Sprintf("%s name %q is all digits, which reads as a numeric id", what, s)
	case s[0] == '-' || s[len(s)-1] == '-':
		return fmt.Sprintf("%s name %q starts or ends with '-'", what, s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || strings.ContainsRune(extra, c)) {
			return fmt.Sprintf("%s name %q: want %s, got %q", what, s, allowed, c)
		}
	}
	return ""
}

func (d *serviceDecoder) setProgram(v val, p Program) error {
	if d.program != nil {
		return v.errorf("service %q has both %s: (line %d) and %s:; keep one", d.s.Name, d.s.Program.Kind, d.program.Line, p.Kind)
	}
	d.program, d.s.Program = &v, p
	return nil
}

func (d *serviceDecoder) goPackage(v val) error {
	s, err := v.text()
	if err != nil {
		return err
	}
	if msg := checkGoPackage(s); msg != "" {
		return v.errorf("%s", msg)
	}
	p := Program{GoPackage, s}
	if p.IsLocal() {
		d.lines[v.field] = position{v.Line, v.Column}
	}
	return d.setProgram(v, p)
}

func (d *serviceDecoder) file(v val) error {
	p, err := repoPath(v)
	if err != nil {
		return err
	}
	d.lines[v.field] = position{v.Line, v.Column}
	return d.setProgram(v, Program{StaticFile, p})
}

// checkGoPackage returns why s is neither ./dir nor a full import path.
func checkGoPackage(s string) string {
	if rel, ok := strings.CutPrefix(s, "./"); ok || s == "." {
		if c := path.Clean(s); rel != "" && (c == ".." || strings.HasPrefix(c, "../")) {
			return fmt.Sprintf("%q leaves the module's directory", s)
		}
		return ""
	}
	elems := strings.Split(s, "/")
	if !strings.Contains(elems[0], ".") || strings.HasPrefix(s, "../") {
		return fmt.Sprintf("%q is neither ./<dir> (a package of this module) nor a full import path such as example.com/acme/cmd/server", s)
	}
	for _, e := range elems {
		if e == "" || e == "." || e == ".." || strings.HasPrefix(e, ".") || strings.IndexFunc(e, badImportRune) >= 0 {
			return fmt.Sprintf("%q is not a valid import path (element %q)", s, e)
		}
	}
	return ""
}

// badImportRune reports runes Go does not allow in import paths'
// elements (the module cache's rules, simplified).
func badImportRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+", r))
}

func (d *serviceDecoder) args(v val) error {
	items, err := v.items()
	if err != nil {
		return err
	}
	for _, it := range items {
		t, err := d.template(it)
		if err != nil {
			return err
		}
		d.s.Args = append(d.s.Args, t)
	}
	return nil
}

// template reads a string that may name settings, each of which must be
// declared.
func (d *serviceDecoder) template(v val) (Template, error) {
	s, err := v.text()
	if err != nil {
		return nil, err
	}
	t, err := parseTemplate(s)
	if err != nil {
		return nil, v.errorf("service %q: %v", d.s.Name, err)
	}
	names := make([]string, len(d.settings))
	for i, st := range d.settings {
		names[i] = st.Name
	}
	for _, ref := range t.Settings() {
		if !slices.Contains(names, ref) {
			return nil, v.errorf("service %q uses ${%s}, which no setting declares (declared: %s)%s: declare it under settings: or write $${ for a literal ${", d.s.Name, ref, orNone(names), didYouMean(ref, names))
		}
	}
	return t, nil
}

func (d *serviceDecoder) env(v val) error {
	if v.Kind != yaml.MappingNode {
		return v.errorf("want a mapping of NAME: value, got %s", v.kind())
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, ev := v.Content[i], val{v.Content[i+1], join(v.field, v.Content[i].Value)}
		if !productspec.IsEnvName(k.Value) {
			return at(k, ev.field, "%q is not an environment variable name: want letters, digits and '_', not starting with a digit", k.Value)
		}
		t, err := d.template(ev)
		if err != nil {
			return err
		}
		d.s.Env = append(d.s.Env, EnvVar{k.Value, t})
	}
	return nil
}

func (d *serviceDecoder) user(v val) error {
	var err error
	d.s.User, err = accountName(v, "user")
	return err
}

func (d *serviceDecoder) group(v val) error {
	var err error
	d.s.Group, err = accountName(v, "group")
	return err
}

// maxAccountName is the longest user or group name (useradd's limit).
const maxAccountName = 32

func accountName(v val, what string) (string, error) {
	s, err := v.text()
	if err != nil {
		return "", err
	}
	if msg := checkName(s, what); msg != "" {
		return "", v.errorf("%s", msg)
	}
	return s, nil
}

func (d *serviceDecoder) workdir(v val) error {
	p, err := imagePath(v)
	if err != nil {
		return err
	}
	for _, r := range []string{"/proc", "/sys", "/dev"} {
		if under(p, r) {
			return v.errorf("%s is in the kernel's %s: choose a directory below %s", p, r, DataMount)
		}
	}
	d.s.WorkDir = p
	return nil
}

func (d *serviceDecoder) capabilities(v val) error {
	_, err := v.eachText(func(it val, s string) error {
		c, err := ParseCapability(s)
		if err != nil {
			return it.errorf("%v", err)
		}
		if slices.Contains(d.s.Capabilities, c) {
			return it.errorf("%s is listed twice", c)
		}
		d.s.Capabilities = append(d.s.Capabilities, c)
		return nil
	})
	return err
}

func (d *serviceDecoder) restart(v val) error {
	s, err := v.text()
	if err != nil {
		return err
	}
	for r, name := range restartNames {
		if name != "" && name == s {
			d.s.Restart = Restart(r)
			return nil
		}
	}
	return v.errorf("want always, on-failure or never, got %q", s)
}
