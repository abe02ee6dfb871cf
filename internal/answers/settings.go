package answers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/plinth-os/plinth/internal/setting"
	"github.com/plinth-os/plinth/internal/suggest"
)

// Setting is one entry of settings: a value for one of the product's
// per-machine settings, as install.yaml writes it. Which type it must
// have is only known from the product's declarations, which the file
// does not carry, so Parse keeps the value's YAML form and position and
// CheckSettings reads it against the declarations.
type Setting struct {
	Name   string   `json:"name"`
	List   bool     `json:"list,omitempty"`   // a YAML list; otherwise a single value
	Text   string   `json:"text,omitempty"`   // single value: as written, without its quotes
	Quoted bool     `json:"quoted,omitempty"` // single value: written in quotes
	Items  []string `json:"items,omitempty"`  // list: the items as written
	Line   int      `json:"line"`             // of the setting's name
	Column int      `json:"column"`
}

// settingsOf reads the value of settings:, a mapping of setting names
// to a single value or a list of single values. Nulls and nested
// mappings are refused here: no setting type takes them.
func settingsOf(v node) ([]Setting, error) {
	if v.kind != mapNode {
		return nil, fieldErr(v, "settings", "want a mapping of setting names to values, one per line (port: 2379)")
	}
	out := make([]Setting, 0, len(v.keys))
	for i, k := range v.keys {
		val, f := v.vals[i], "settings."+k.value
		if msg := setting.CheckName(k.value); msg != "" {
			return nil, fieldErr(k, f, "not a setting name: %s", msg)
		}
		s := Setting{Name: k.value, Line: k.line, Column: k.col}
		switch {
		case val.kind == mapNode:
			return nil, fieldErr(val, f, "want a single value or a list, got a mapping")
		case val.kind == seqNode:
			s.List, s.Items = true, []string{}
			for _, it := range val.items {
				if it.kind != scalarNode || it.null {
					return nil, fieldErr(it, f, "a list holds single values only, got %s", describeNode(it))
				}
				s.Items = append(s.Items, it.value)
			}
		case val.null:
			return nil, fieldErr(val, f, "empty value: give one, or leave %s out for the product's default", k.value)
		default:
			s.Text, s.Quoted = val.value, val.quoted
		}
		out = append(out, s)
	}
	return out, nil
}

func describeNode(n node) string {
	if n.kind == scalarNode && n.null {
		return "an empty value"
	}
	return "a " + kindName(n.kind)
}

// CheckSettings reads the answers' settings as the product declares
// them (productspec.Spec.Settings) and returns every declared setting's
// value, defaults filled in: what the installed config stores. The
// first problem is returned as a *ParseError with the line and the field
// settings.<name>: a name the product does not declare, a value of
// another type, or no value for a setting without a default. A nil a
// has no settings.
func (a *Answers) CheckSettings(decls []setting.Decl) (map[string]setting.Value, error) {
	var given []Setting
	line := 0
	if a != nil {
		given, line = a.Settings, a.settingsLine
	}
	names := make([]string, len(decls))
	byName := make(map[string]setting.Decl, len(decls))
	for i, d := range decls {
		names[i], byName[d.Name] = d.Name, d
	}
	out := make(map[string]setting.Value, len(decls))
	for _, s := range given {
		d, ok := byName[s.Name]
		if !ok {
			return nil, s.errorf("unknown setting (%s)%s", declared(names), didYouMean(s.Name, names))
		}
		v, err := s.value(d)
		if err != nil {
			return nil, err
		}
		out[s.Name] = v
	}
	for _, d := range decls {
		if _, ok := out[d.Name]; ok {
			continue
		}
		if d.Default == nil {
			return nil, &ParseError{File: FileName, Line: line, Field: "settings." + d.Name,
				Message: fmt.Sprintf("required: the product's setting %s (%s%s) has no default, so each machine needs a value", d.Name, d.Type, about(d))}
		}
		out[d.Name] = *d.Default
	}
	return out, nil
}

func (s Setting) errorf(format string, a ...any) *ParseError {
	return &ParseError{File: FileName, Line: s.Line, Column: s.Column, Field: "settings." + s.Name, Message: fmt.Sprintf(format, a...)}
}

func declared(names []string) string {
	if len(names) == 0 {
		return "the product declares none"
	}
	return "declared: " + strings.Join(names, ", ")
}

func about(d setting.Decl) string {
	if d.Description == "" {
		return ""
	}
	return ": " + d.Description
}

// decimal is what YAML reads as an integer and this package accepts:
// decimal digits (no 0x, 0o, or underscores, which the appliance's
// ${name} would not reproduce).
var decimal = regexp.MustCompile(`^[-+]?[0-9]+$`)

// value reads s as a value of d's type.
func (s Setting) value(d setting.Decl) (setting.Value, error) {
	switch d.Type {
	case setting.TypeString:
		if !s.List {
			return setting.StringValue(s.Text), nil
		}
		return setting.Value{}, s.wrongType(d, "write a single value (in quotes if it starts with [)")
	case setting.TypeList:
		if s.List {
			return setting.ListValue(append([]string{}, s.Items...)...), nil
		}
		return setting.Value{}, s.wrongType(d, fmt.Sprintf(`write [%s], or one "- item" per line`, s.Text))
	case setting.TypeInt:
		return s.intValue(d)
	case setting.TypeBool:
		if b, ok := plainBool(s); ok {
			return setting.BoolValue(b), nil
		}
		if _, ok := plainBool(Setting{Text: s.Text}); ok && s.Quoted {
			return setting.Value{}, s.wrongType(d, "write "+s.Text+" without quotes")
		}
		return setting.Value{}, s.wrongType(d, "write true or false")
	}
	return setting.Value{}, s.errorf("the product declares it of unknown type %v", d.Type)
}

func (s Setting) intValue(d setting.Decl) (setting.Value, error) {
	switch {
	case s.List:
		return setting.Value{}, s.wrongType(d, "write a single whole number")
	case !decimal.MatchString(s.Text):
		return setting.Value{}, s.wrongType(d, "write a whole number in decimal")
	case s.Quoted:
		return setting.Value{}, s.wrongType(d, "write "+s.Text+" without quotes")
	}
	n, err := strconv.ParseInt(s.Text, 10, 64)
	if err != nil {
		return setting.Value{}, s.errorf("%s is out of range for an int (setting %s)", s.Text, d.Name)
	}
	return setting.IntValue(n), nil
}

// plainBool reads YAML's true and false, unquoted.
func plainBool(s Setting) (bool, bool) {
	if s.List || s.Quoted {
		return false, false
	}
	switch s.Text {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// wrongType says what d wants, what s is, and how to write it.
func (s Setting) wrongType(d setting.Decl, hint string) *ParseError {
	return s.errorf("want %s (setting %s), got %s: %s", article(d.Type), d.Name, s.kind(), hint)
}

func article(t setting.Type) string {
	if t == setting.TypeInt {
		return "an int"
	}
	return "a " + t.String()
}

// kind names what s is in YAML's terms.
func (s Setting) kind() string {
	_, isBool := plainBool(s)
	switch {
	case s.List:
		return "a list"
	case s.Quoted:
		return "a string"
	case decimal.MatchString(s.Text):
		return "an int"
	case isBool:
		return "a bool"
	}
	return strconv.Quote(s.Text)
}

func didYouMean(s string, known []string) string { return suggest.DidYouMean(s, known) }
