package product

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SettingType is the type of a setting's values.
type SettingType int

// Setting types.
const (
	TypeString SettingType = iota + 1
	TypeInt
	TypeBool
	TypeList // a list of strings
)

var typeNames = []string{TypeString: "string", TypeInt: "int", TypeBool: "bool", TypeList: "list"}

func (t SettingType) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("SettingType(%d)", int(t))
}

// Setting is a value chosen per machine, which services take as ${name}
// in their args, env and health command.
type Setting struct {
	Name        string
	Type        SettingType
	Default     *Value // nil: every machine must be given a value
	Description string
}

// Value is a setting's value. Only the field of its Type is used.
type Value struct {
	Type SettingType
	Text string   // TypeString
	Int  int64    // TypeInt
	Bool bool     // TypeBool
	List []string // TypeList
}

// StringValue, IntValue, BoolValue and ListValue make Values.
func StringValue(s string) Value  { return Value{Type: TypeString, Text: s} }
func IntValue(n int64) Value      { return Value{Type: TypeInt, Int: n} }
func BoolValue(b bool) Value      { return Value{Type: TypeBool, Bool: b} }
func ListValue(l ...string) Value { return Value{Type: TypeList, List: l} }

// String is the value as it is substituted into a longer string: a
// list's items are joined with commas.
func (v Value) String() string {
	switch v.Type {
	case TypeString:
		return v.Text
	case TypeInt:
		return strconv.FormatInt(v.Int, 10)
	case TypeBool:
		return strconv.FormatBool(v.Bool)
	case TypeList:
		return strings.Join(v.List, ",")
	}
	return ""
}

// SettingError is one problem with the per-machine settings given to
// ValidateSettings or Expand.
type SettingError struct {
	Setting string
	Message string
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("setting %q: %s", e.Setting, e.Message)
}

// ValidateSettings checks one machine's settings against the declared
// ones and returns every declared setting's value, defaults filled in.
// Each problem (a name nothing declares, a value of another type, a
// setting without default that has no value) is one *SettingError in
// the joined error.
func ValidateSettings(decl []Setting, given map[string]Value) (map[string]Value, error) {
	var errs []error
	out := make(map[string]Value, len(decl))
	names := make([]string, len(decl))
	for i, d := range decl {
		names[i] = d.Name
		v, ok := given[d.Name]
		switch {
		case ok && v.Type != d.Type:
			errs = append(errs, &SettingError{d.Name, fmt.Sprintf("is of type %s, got a value of type %s", d.Type, v.Type)})
		case ok:
			out[d.Name] = v
		case d.Default != nil:
			out[d.Name] = *d.Default
		default:
			errs = append(errs, &SettingError{d.Name, "has no default: this machine needs a value"})
		}
	}
	for _, name := range sortedKeys(given) {
		if !slices.Contains(names, name) {
			errs = append(errs, &SettingError{name, fmt.Sprintf("is not declared by %s (declared: %s)%s", FileName, orNone(names), didYouMean(name, names))})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// maxSettingName is the longest setting name.
const maxSettingName = 32

// checkSettingName returns why name is not a setting name, or "".
func checkSettingName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > maxSettingName:
		return fmt.Sprintf("%q is %d characters long; at most %d", name, len(name), maxSettingName)
	case name[0] < 'a' || name[0] > 'z':
		return fmt.Sprintf("%q must start with a lower-case letter a-z", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Sprintf("%q: want lower-case letters, digits and '-', got %q", name, c)
		}
	}
	return ""
}

// decodeSettings reads settings:.
func decodeSettings(v val) ([]Setting, error) {
	items, err := v.items()
	if err != nil {
		return nil, err
	}
	out := make([]Setting, 0, len(items))
	first := map[string]int{}
	for _, it := range items {
		s, nameVal, err := decodeSetting(it)
		if err != nil {
			return nil, err
		}
		if line, dup := first[s.Name]; dup {
			return nil, nameVal.errorf("setting %q is declared twice (first on line %d)", s.Name, line)
		}
		first[s.Name] = nameVal.Line
		out = append(out, s)
	}
	return out, nil
}

func decodeSetting(v val) (Setting, val, error) {
	var s Setting
	f, err := v.fields("name", "type", "default", "description")
	if err != nil {
		return s, val{}, err
	}
	nameVal, ok := f.get("name")
	if !ok {
		return s, val{}, f.missing("name", "the name services write as ${name}")
	}
	if s.Name, err = nameVal.text(); err != nil {
		return s, val{}, err
	}
	if msg := checkSettingName(s.Name); msg != "" {
		return s, val{}, nameVal.errorf("%s", msg)
	}
	typeVal, ok := f.get("type")
	if !ok {
		return s, val{}, f.missing("type", "string, int, bool or list")
	}
	if s.Type, err = settingType(typeVal); err != nil {
		return s, val{}, err
	}
	if d, ok := f.get("default"); ok {
		v, err := settingValue(d, s.Type)
		if err != nil {
			return s, val{}, err
		}
		s.Default = &v
	}
	if d, ok := f.get("description"); ok {
		if s.Description, err = d.line(); err != nil {
			return s, val{}, err
		}
	}
	return s, nameVal, nil
}

func settingType(v val) (SettingType, error) {
	s, err := v.text()
	if err != nil {
		return 0, err
	}
	for t, name := range typeNames {
		if name != "" && name == s {
			return SettingType(t), nil
		}
	}
	return 0, v.errorf("want string, int, bool or list, got %q", s)
}

// settingValue reads a value of type t written in plinth.yaml.
func settingValue(v val, t SettingType) (Value, error) {
	switch t {
	case TypeInt:
		n, err := v.integer(math.MinInt64, math.MaxInt64)
		return IntValue(n), err
	case TypeBool:
		b, err := v.boolean()
		return BoolValue(b), err
	case TypeList:
		l, err := v.texts()
		return ListValue(l...), err
	}
	s, err := v.text()
	return StringValue(s), err
}
