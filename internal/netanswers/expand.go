package netanswers

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Template variables.
const (
	VarMAC    = "mac"
	VarUUID   = "uuid"
	VarSerial = "serial"
)

// Expand turns a URL template into the URLs to try, in order. ${mac}
// gives one URL per wired NIC of id, in NIC order (sorted by interface
// name); ${uuid} and ${serial} the machine's SMBIOS UUID and serial. A
// "$" not followed by "{" is itself. Substituted values are
// percent-encoded except for letters, digits and "-._~", so that a
// serial holding "/", "?" or "&" stays one path segment or query value.
//
// Errors: an unknown ${name} or a "${" without "}"; a variable the
// template uses that id lacks (no wired NIC, no UUID, no serial), named;
// a result that is not an http:// or https:// URL with a host.
func Expand(template string, id Identity) ([]string, error) {
	template = strings.TrimSpace(template)
	parts, err := parseTemplate(template)
	if err != nil {
		return nil, err
	}
	vars, err := values(template, parts, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range vars {
		u := render(parts, v)
		if err := checkURL(u); err != nil {
			return nil, fmt.Errorf("netanswers: URL template %q gives %q: %w", template, u, err)
		}
		if !slices.Contains(out, u) { // two NICs with one MAC (a bond) give one URL
			out = append(out, u)
		}
	}
	return out, nil
}

// sampleIdentity is a machine with every value a template may use, so
// that CheckTemplate can render a template without a real machine.
func sampleIdentity() Identity {
	return Identity{
		UUID:   "00000000-0000-4000-8000-000000000001",
		Serial: "SERIAL",
		NICs:   []NIC{{Name: "eth0", MAC: "52-54-00-00-00-01"}},
	}
}

// CheckTemplate checks a URL template without a machine, as mkiso does
// before it builds one into an image: its variables are known and
// closed, it holds no space or control character, and it gives an
// http:// or https:// URL with a host and without a #fragment (which
// no server sees).
func CheckTemplate(template string) error {
	t := strings.TrimSpace(template)
	switch {
	case t == "":
		return errors.New("netanswers: empty URL template: want an http:// or https:// URL")
	case strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("netanswers: URL template %q contains a space or control character", t)
	case strings.Contains(t, "#"):
		return fmt.Errorf("netanswers: URL template %q has a #fragment, which a server never sees: remove it", t)
	}
	_, err := Expand(t, sampleIdentity())
	return err
}

// part is literal text or, when name is set, a variable.
type part struct {
	text, name string
}

func parseTemplate(t string) ([]part, error) {
	var parts []part
	for rest := t; rest != ""; {
		i := strings.Index(rest, "${")
		if i < 0 {
			parts = append(parts, part{text: rest})
			break
		}
		if i > 0 {
			parts = append(parts, part{text: rest[:i]})
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("netanswers: URL template %q: %q has no closing }", t, rest[i:])
		}
		name := rest[i+2 : i+end]
		switch name {
		case VarMAC, VarUUID, VarSerial:
		default:
			return nil, fmt.Errorf("netanswers: URL template %q: unknown variable ${%s} (known: ${mac}, ${uuid}, ${serial})", t, name)
		}
		parts = append(parts, part{name: name})
		rest = rest[i+end+1:]
	}
	return parts, nil
}

// values returns one set of variable values per URL to make.
func values(t string, parts []part, id Identity) ([]map[string]string, error) {
	base := map[string]string{}
	uses := map[string]bool{}
	for _, p := range parts {
		uses[p.name] = true
	}
	if uses[VarUUID] {
		if id.UUID == "" {
			return nil, fmt.Errorf("netanswers: URL template %q uses ${uuid}, but the firmware gives this machine no system UUID", t)
		}
		base[VarUUID] = id.UUID
	}
	if uses[VarSerial] {
		if id.Serial == "" {
			return nil, fmt.Errorf("netanswers: URL template %q uses ${serial}, but the firmware gives this machine no serial number", t)
		}
		base[VarSerial] = id.Serial
	}
	if !uses[VarMAC] {
		return []map[string]string{base}, nil
	}
	if len(id.NICs) == 0 {
		return nil, fmt.Errorf("netanswers: URL template %q uses ${mac}, but this machine has no wired network interface", t)
	}
	out := make([]map[string]string, len(id.NICs))
	for i, n := range id.NICs {
		v := map[string]string{VarMAC: n.MAC}
		for k, x := range base {
			v[k] = x
		}
		out[i] = v
	}
	return out, nil
}

func render(parts []part, vars map[string]string) string {
	var b strings.Builder
	for _, p := range parts {
		if p.name == "" {
			b.WriteString(p.text)
		} else {
			b.WriteString(escape(vars[p.name]))
		}
	}
	return b.String()
}

// escape percent-encodes all but RFC 3986's unreserved characters, which
// mean the same in a path and in a query.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("no host")
	}
	return nil
}
