package product

import (
	"math"
	"strings"

	"github.com/plinth-os/plinth/internal/setting"
)

// SettingType is the type of a setting's values.
type SettingType = setting.Type

// Setting types.
const (
	TypeString = setting.TypeString
	TypeInt    = setting.TypeInt
	TypeBool   = setting.TypeBool
	TypeList   = setting.TypeList
)

// Setting declares a value chosen per machine (package setting).
type Setting = setting.Decl

// Value is a setting's value.
type Value = setting.Value

// SettingError is one problem with one machine's settings.
type SettingError = setting.Error

// StringValue, IntValue, BoolValue and ListValue make Values.
func StringValue(s string) Value  { return setting.StringValue(s) }
func IntValue(n int64) Value      { return setting.IntValue(n) }
func BoolValue(b bool) Value      { return setting.BoolValue(b) }
func ListValue(l ...string) Value { return setting.ListValue(l...) }

// ValidateSettings checks one machine's settings against the declared
// ones and returns every declared setting's value, defaults filled in
// (see setting.Validate).
func ValidateSettings(decl []Setting, given map[string]Value) (map[string]Value, error) {
	return setting.Validate(decl, given)
}

func checkSettingName(name string) string { return setting.CheckName(name) }

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
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
	t, err := setting.ParseType(s)
	if err != nil {
		return 0, v.errorf("%v", err)
	}
	return t, nil
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
