package setting

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Type is the type of a setting's values.
type Type int

// Setting types.
const (
	TypeString Type = iota + 1
	TypeInt
	TypeBool
	TypeList // a list of strings
)

var typeNames = []string{TypeString: "string", TypeInt: "int", TypeBool: "bool", TypeList: "list"}

func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// ParseType reads a type's name: string, int, bool or list.
func ParseType(s string) (Type, error) {
	for t, name := range typeNames {
		if name != "" && name == s {
			return Type(t), nil
		}
	}
	return 0, fmt.Errorf("want string, int, bool or list, got %q", s)
}

// MarshalText writes the type's name.
func (t Type) MarshalText() ([]byte, error) {
	if t <= 0 || int(t) >= len(typeNames) {
		return nil, fmt.Errorf("setting: no such type %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a type's name.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	*t = v
	return err
}

// Decl declares a value chosen per machine, which services take as
// ${name} in their args, env and health command.
type Decl struct {
	Name        string `json:"name"`
	Type        Type   `json:"type"`
	Default     *Value `json:"default,omitempty"` // nil: every machine must be given a value
	Description string `json:"description,omitempty"`
}

// Value is a setting's value. Only the field of its Type is used.
type Value struct {
	Type Type
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

// Equal reports whether v and w are the same value of the same type.
func (v Value) Equal(w Value) bool {
	return v.Type == w.Type && v.String() == w.String() && len(v.List) == len(w.List)
}

// MarshalJSON writes the value as the JSON value of its type.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Type {
	case TypeString:
		return json.Marshal(v.Text)
	case TypeInt:
		return json.Marshal(v.Int)
	case TypeBool:
		return json.Marshal(v.Bool)
	case TypeList:
		return json.Marshal(append([]string{}, v.List...))
	}
	return nil, fmt.Errorf("setting: value of no type")
}

// UnmarshalJSON reads a JSON string, integer, boolean or array of
// strings; the type follows from the JSON.
func (v *Value) UnmarshalJSON(b []byte) error {
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	switch x := x.(type) {
	case string:
		*v = StringValue(x)
	case bool:
		*v = BoolValue(x)
	case float64:
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || x > math.MaxInt64 {
			return fmt.Errorf("setting value %s is not a whole number", b)
		}
		*v = IntValue(n)
	case []any:
		var l []string
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("setting value %s: a list holds strings only", b)
		}
		*v = ListValue(l...)
	default:
		return fmt.Errorf("setting value %s: want a string, a whole number, true/false or a list of strings", b)
	}
	return nil
}

// Parse reads a value of type t typed by a person (the installer's
// advanced screen): ints in decimal, bools as true or false, lists as
// comma-separated items (spaces around items dropped, empty for none).
func Parse(t Type, s string) (Value, error) {
	switch t {
	case TypeInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a whole number", s)
		}
		return IntValue(n), nil
	case TypeBool:
		switch strings.TrimSpace(s) {
		case "true":
			return BoolValue(true), nil
		case "false":
			return BoolValue(false), nil
		}
		return Value{}, fmt.Errorf("%q: write true or false", s)
	case TypeList:
		var l []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				l = append(l, item)
			}
		}
		return ListValue(l...), nil
	case TypeString:
		return StringValue(s), nil
	}
	return Value{}, fmt.Errorf("setting: no such type %d", int(t))
}

// Error is one problem with the settings given to one machine.
type Error struct {
	Setting string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("setting %q: %s", e.Setting, e.Message)
}

// Validate checks one machine's settings against the declared ones and
// returns every declared setting's value, defaults filled in. Each
// problem (a name nothing declares, a value of another type, a setting
// without default that has no value) is one *Error in the joined error.
func Validate(decl []Decl, given map[string]Value) (map[string]Value, error) {
	var errs []error
	out := make(map[string]Value, len(decl))
	names := make([]string, len(decl))
	for i, d := range decl {
		names[i] = d.Name
		v, ok := given[d.Name]
		switch {
		case ok && v.Type != d.Type:
			errs = append(errs, &Error{d.Name, fmt.Sprintf("is of type %s, got a value of type %s", d.Type, v.Type)})
		case ok:
			out[d.Name] = v
		case d.Default != nil:
			out[d.Name] = *d.Default
		default:
			errs = append(errs, &Error{d.Name, "has no default: this machine needs a value"})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !slices.Contains(names, name) {
			errs = append(errs, &Error{name, fmt.Sprintf("is not declared by the product (declared: %s)", orNone(names))})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// MaxName is the longest setting name.
const MaxName = 32

// CheckName returns why name is not a setting name, or "".
func CheckName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > MaxName:
		return fmt.Sprintf("%q is %d characters long; at most %d", name, len(name), MaxName)
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
