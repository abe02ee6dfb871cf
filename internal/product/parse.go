package product

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/plinth-os/plinth/internal/answers"
)

// MaxNameLen is the longest product name, in characters: it is a title
// on an 80-column screen (the brand's limit too).
const MaxNameLen = 64

// MaxCmdline is the longest command-line addition, in bytes: x86's
// kernel command line holds 2048 with Plinth's own parameters.
const MaxCmdline = 1024

// parser holds what the top-level sections need besides their node.
type parser struct {
	src []byte
	p   *Product
}

// sections are plinth.yaml's top-level keys, in the order they are read:
// settings before services (which name them), services before files
// and data-dirs (whose owners are the services' users).
var sections = []struct {
	key  string
	read func(*parser, val) error
}{
	{"product", (*parser).product},
	{"cmdline", (*parser).cmdline},
	{"settings", (*parser).settings},
	{"services", (*parser).services},
	{"files", (*parser).files},
	{"data-dirs", (*parser).dataDirs},
	{"installer", (*parser).installer},
	{"network", (*parser).network},
	{"secure-boot", (*parser).secureBoot},
	{"updates", (*parser).updates},
}

// Parse reads and validates a plinth.yaml. It looks at nothing but data
// (Check looks at the files it names) and returns the first problem
// found, always as a *ParseError.
func Parse(data []byte) (*Product, error) {
	root, err := tree(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &ParseError{File: FileName, Field: "product", Message: "required, but the file is empty: start with product:, name:"}
	}
	keys := make([]string, len(sections))
	for i, s := range sections {
		keys[i] = s.key
	}
	ps := &parser{src: data, p: &Product{
		Version: Version{FromGit: true},
		Network: answers.Network{Mode: answers.NetDHCP},
		Updates: defaultUpdates(),
		lines:   map[string]position{},
	}}
	top, err := val{Node: root}.fields(keys...)
	if err != nil {
		return nil, err
	}
	if _, ok := top.get("product"); !ok {
		return nil, top.missing("product", "product: with at least name:")
	}
	for _, s := range sections {
		if v, ok := top.get(s.key); ok {
			if err := s.read(ps, v); err != nil {
				return nil, err
			}
		}
	}
	return ps.p, nil
}

func (ps *parser) product(v val) error {
	f, err := v.fields("name", "version", "brand")
	if err != nil {
		return err
	}
	nv, ok := f.get("name")
	if !ok {
		return f.missing("name", "the name users see, e.g. name: Acme DB")
	}
	if ps.p.Name, err = productName(nv); err != nil {
		return err
	}
	if vv, ok := f.get("version"); ok {
		if ps.p.Version, err = version(vv); err != nil {
			return err
		}
	}
	if bv, ok := f.get("brand"); ok {
		if ps.p.Brand, err = repoPath(bv); err != nil {
			return err
		}
		ps.p.lines[bv.field] = position{bv.Line, bv.Column}
	}
	return nil
}

func productName(v val) (string, error) {
	s, err := v.line()
	if err != nil {
		return "", err
	}
	switch n := utf8.RuneCountInString(s); {
	case strings.TrimSpace(s) == "":
		return "", v.errorf("empty name: give the name users should see, e.g. Acme DB")
	case strings.TrimSpace(s) != s:
		return "", v.errorf("%q starts or ends with spaces: remove them", s)
	case !utf8.ValidString(s):
		return "", v.errorf("%q is not valid UTF-8", s)
	case n > MaxNameLen:
		return "", v.errorf("%q is %d characters long; at most %d (it is a title on an 80-column screen)", s, n, MaxNameLen)
	}
	return s, nil
}

// semver is what a version looks like: 1, 1.4, 1.4.2, v1.4.2-rc.1+build.5.
var semver = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// maxVersionLen is the longest version, in bytes.
const maxVersionLen = 64

func version(v val) (Version, error) {
	s, err := v.text()
	if err != nil {
		return Version{}, err
	}
	if s == VersionGit {
		return Version{FromGit: true}, nil
	}
	if len(s) > maxVersionLen || !semver.MatchString(s) {
		return Version{}, v.errorf("want git (git describe at build time) or a version such as 1.4.2, v2.0.0-rc.1 (at most %d characters), got %q", maxVersionLen, s)
	}
	return Version{Text: s}, nil
}

func (ps *parser) cmdline(v val) error {
	f, err := v.fields("installer", "runtime")
	if err != nil {
		return err
	}
	for _, k := range []struct {
		key string
		dst *string
	}{{"installer", &ps.p.Cmdline.Installer}, {"runtime", &ps.p.Cmdline.Runtime}} {
		kv, ok := f.get(k.key)
		if !ok {
			continue
		}
		if *k.dst, err = kv.line(); err != nil {
			return err
		}
		if len(*k.dst) > MaxCmdline {
			return kv.errorf("%d bytes long; at most %d (the kernel's command line is 2048 bytes, Plinth's own parameters included)", len(*k.dst), MaxCmdline)
		}
	}
	return nil
}

func (ps *parser) settings(v val) error {
	var err error
	ps.p.Settings, err = decodeSettings(v)
	return err
}

func (ps *parser) services(v val) error {
	items, err := v.items()
	if err != nil {
		return err
	}
	first := map[string]int{}
	after := make([][]val, len(items)) // services[i]'s after: items
	for i, it := range items {
		d, err := decodeService(it, ps.p.Settings, ps.p.lines)
		if err != nil {
			return err
		}
		if line, dup := first[d.s.Name]; dup {
			return d.nameV.errorf("service %q is declared twice (first on line %d)", d.s.Name, line)
		}
		first[d.s.Name] = d.nameV.Line
		ps.p.Services = append(ps.p.Services, d.s)
		after[i] = d.afterV
	}
	return checkAfter(ps.p.Services, after)
}

// repoPath reads a path relative to plinth.yaml's directory, inside it.
func repoPath(v val) (string, error) {
	s, err := v.line()
	if err != nil {
		return "", err
	}
	c := path.Clean(s)
	switch {
	case s == "":
		return "", v.errorf("empty path")
	case path.IsAbs(s) || strings.Contains(s, `\`):
		return "", v.errorf("%q: want a path relative to %s's directory, with / between names", s, FileName)
	case c == ".." || strings.HasPrefix(c, "../"):
		return "", v.errorf("%q is outside %s's directory: the build reads only the repository", s, FileName)
	}
	return c, nil
}

// reservedPaths are runtime image paths Plinth mounts over or fills
// itself: a file there would be hidden or would break the appliance.
var reservedPaths = []string{"/data", "/proc", "/sys", "/dev", "/tmp", "/run", "/boot", "/bbin", "/init", "/payload", "/etc/plinth"}

// imagePath reads an absolute path in the runtime image.
func imagePath(v val) (string, error) {
	s, err := v.line()
	if err != nil {
		return "", err
	}
	switch c := path.Clean(s); {
	case !path.IsAbs(s):
		return "", v.errorf("%q: want an absolute path in the runtime image", s)
	case c != s:
		return "", v.errorf("%q: write it as %s", s, c)
	case s == "/":
		return "", v.errorf("want a path below /")
	}
	return s, nil
}

func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// mode reads an octal mode written with a leading 0, e.g. "0644".
func mode(v val) (Mode, error) {
	s, err := v.text()
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseUint(s, 8, 32)
	switch {
	case perr != nil || len(s) < 2 || s[0] != '0' || strings.ContainsAny(s, "_+-"):
		return 0, v.errorf("want an octal mode with a leading 0, e.g. \"0644\" or \"0755\", got %q", s)
	case Mode(n) > MaxMode:
		return 0, v.errorf("%s is above %s: want permission bits, setuid, setgid and sticky only", s, MaxMode)
	}
	return Mode(n), nil
}

// owner reads user[:group]. Both must be root or a service's user or
// group, which the image creates; the group defaults to the user's own
// (root's is root, a service user's the service's group).
func (ps *parser) owner(v val) (Owner, error) {
	s, err := v.text()
	if err != nil {
		return Owner{}, err
	}
	u, g, hasGroup := strings.Cut(s, ":")
	users, groups := []string{"root"}, []string{"root"}
	primary := map[string]string{"root": "root"}
	for _, sv := range ps.p.Services {
		users, groups = appendNew(users, sv.User), appendNew(groups, sv.Group)
		if _, ok := primary[sv.User]; !ok {
			primary[sv.User] = sv.Group
		}
	}
	if !hasGroup {
		g = primary[u]
	}
	for _, x := range []struct {
		what, name string
		known      []string
	}{{"user", u, users}, {"group", g, groups}} {
		if msg := checkName(x.name, x.what); msg != "" {
			return Owner{}, v.errorf("want user or user:group, %s", msg)
		}
		if !slices.Contains(x.known, x.name) {
			return Owner{}, v.errorf("%s %q is neither root nor a service's %s (known: %s)%s", x.what, x.name, x.what, strings.Join(x.known, ", "), didYouMean(x.name, x.known))
		}
	}
	return Owner{u, g}, nil
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// reservedFor returns the reserved directory p is in, or "".
func reservedFor(p string) string {
	for _, r := range reservedPaths {
		if under(p, r) {
			return r
		}
	}
	return ""
}

// secureBoot reads secure-boot:.
func (ps *parser) secureBoot(v val) error {
	f, err := v.fields("keys", "shim")
	if err != nil {
		return err
	}
	if sv, ok := f.get("shim"); ok {
		if ps.p.SecureBoot.Shim, err = sv.boolean(); err != nil {
			return err
		}
	}
	kv, ok := f.get("keys")
	if !ok {
		return f.missing("keys", "the directory of PK, KEK and db keys (mkiso -new-secureboot-keys DIR makes one)")
	}
	if ps.p.SecureBoot.Keys, err = keysPath(kv); err != nil {
		return err
	}
	ps.p.lines[kv.field] = position{kv.Line, kv.Column}
	return nil
}

// keysPath reads the key directory: relative to plinth.yaml, or
// absolute, since private keys belong outside the repository.
func keysPath(v val) (string, error) {
	s, err := v.text()
	if err != nil {
		return "", err
	}
	if path.IsAbs(s) {
		return path.Clean(s), nil
	}
	return repoPath(v)
}
