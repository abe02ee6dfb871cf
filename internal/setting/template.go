package setting

import (
	"fmt"
	"strings"
)

// Template is a string that may name settings: literal text and ${name}
// references in order. $${ is a literal ${.
type Template []Segment

// Segment is literal Text, or, when Setting is not "", the value of
// that setting.
type Segment struct {
	Text    string
	Setting string
}

// ParseTemplate splits s into literal text and ${name} references.
func ParseTemplate(s string) (Template, error) {
	var t Template
	var lit strings.Builder
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			lit.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' { // $${ is a literal ${
			lit.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		lit.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%q has a ${ without its closing }: write $${ for a literal ${", s[i:])
		}
		name := s[i+2 : i+end]
		if msg := CheckName(name); msg != "" {
			return nil, fmt.Errorf("${%s} does not name a setting: %s", name, msg)
		}
		if lit.Len() > 0 {
			t = append(t, Segment{Text: lit.String()})
			lit.Reset()
		}
		t = append(t, Segment{Setting: name})
		s = s[i+end+1:]
	}
	if lit.Len() > 0 {
		t = append(t, Segment{Text: lit.String()})
	}
	return t, nil
}

// String gives the template back in plinth.yaml's form.
func (t Template) String() string {
	var b strings.Builder
	for _, s := range t {
		if s.Setting != "" {
			b.WriteString("${" + s.Setting + "}")
		} else {
			b.WriteString(strings.ReplaceAll(s.Text, "${", "$${"))
		}
	}
	return b.String()
}

// Settings returns the names of the settings t refers to, in order.
func (t Template) Settings() []string {
	var names []string
	for _, s := range t {
		if s.Setting != "" {
			names = append(names, s.Setting)
		}
	}
	return names
}

// Whole returns the setting t consists of, if it is a single ${name}.
func (t Template) Whole() (string, bool) {
	if len(t) == 1 && t[0].Setting != "" {
		return t[0].Setting, true
	}
	return "", false
}

// Expand substitutes values into t; a list's items are joined with
// commas.
func (t Template) Expand(values map[string]Value) (string, error) {
	var b strings.Builder
	for _, s := range t {
		if s.Setting == "" {
			b.WriteString(s.Text)
			continue
		}
		v, ok := values[s.Setting]
		if !ok {
			return "", &Error{s.Setting, "has no value"}
		}
		b.WriteString(v.String())
	}
	return b.String(), nil
}

// ExpandArgs substitutes values into argument templates. An argument
// that is exactly one ${name} of a list setting becomes one argument
// per item (none for an empty list).
func ExpandArgs(args []Template, values map[string]Value) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if name, ok := a.Whole(); ok && values[name].Type == TypeList {
			out = append(out, values[name].List...)
			continue
		}
		s, err := a.Expand(values)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// MarshalText writes the template in plinth.yaml's form.
func (t Template) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a template in plinth.yaml's form.
func (t *Template) UnmarshalText(b []byte) error {
	v, err := ParseTemplate(string(b))
	*t = v
	return err
}
