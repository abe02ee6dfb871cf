package event

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Lookup returns a zero value of the event called name.
func Lookup(name Name) (Event, bool) {
	for _, ev := range All() {
		if ev.EventName() == name {
			return ev, true
		}
	}
	return nil, false
}

// Validate checks that line holds one event as this package defines it:
// a known event name, only that event's fields (nested objects included),
// values of the fields' types (steps, error codes and service states
// among the known ones), and every field that is always present. Console
// noise before the prefix is allowed, as in Parse.
func Validate(line string) error {
	_, body, found := strings.Cut(strings.TrimRight(line, "\r\n"), Prefix)
	if !found {
		return fmt.Errorf("event: no %q in line", strings.TrimSpace(Prefix))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &members); err != nil {
		return fmt.Errorf("event: not one JSON object: %w", err)
	}
	var name Name
	if err := json.Unmarshal(members["event"], &name); err != nil || name == "" {
		return fmt.Errorf("event: no string \"event\" member in %s", body)
	}
	ev, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("event: unknown event %q", name)
	}
	delete(members, "event")
	rest, err := json.Marshal(members)
	if err != nil {
		return fmt.Errorf("event: %s: %w", name, err)
	}
	t := reflect.TypeOf(ev)
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(t).Interface()); err != nil {
		return fmt.Errorf("event: %s: %w", name, err)
	}
	if err := checkMembers(t, members); err != nil {
		return fmt.Errorf("event: %s: %w", name, err)
	}
	return nil
}

// checkPresent reports a missing member that the struct type t always
// writes: at the top level, within a group (an embedded struct) once any
// of the group's members is there, and in the objects nested in raw.
func checkPresent(t reflect.Type, raw json.RawMessage) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice:
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return err
		}
		for i, e := range elems {
			if err := checkPresent(t.Elem(), e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case reflect.Struct:
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return err
		}
		return checkMembers(t, members)
	}
	return nil
}

func checkMembers(t reflect.Type, members map[string]json.RawMessage) error {
	fs := Fields(t)
	groupPresent := map[reflect.Type]bool{}
	known := map[string]bool{}
	for _, f := range fs {
		known[f.Key] = true
		if _, ok := members[f.Key]; ok && f.Group != nil {
			groupPresent[f.Group] = true
		}
	}
	for k := range members {
		if !known[k] { // encoding/json matches names regardless of case: be exact
			return fmt.Errorf("unknown field %q", k)
		}
	}
	for _, f := range fs {
		v, ok := members[f.Key]
		switch {
		case ok:
			if err := checkPresent(f.Type, v); err != nil {
				return fmt.Errorf("%s: %w", f.Key, err)
			}
		case !f.Optional && (f.Group == nil || groupPresent[f.Group]):
			return fmt.Errorf("member %q missing", f.Key)
		}
	}
	return nil
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// Field is one JSON member of an event or of an object in it, as
// encoding/json writes it.
type Field struct {
	Key      string       // JSON member name
	GoName   string       // struct field name
	Type     reflect.Type // the field's type
	Optional bool         // omitempty: absent when zero
	Group    reflect.Type // the embedded struct holding it, present or absent as a whole; nil at the top level
	Owner    reflect.Type // the struct that declares the field
}

// Fields lists the JSON members of struct type t in order, with the
// members of embedded structs in place of them (encoding/json's rules for
// untagged embedded structs).
func Fields(t reflect.Type) []Field {
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && key == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			for _, f := range Fields(et) {
				if f.Group == nil {
					f.Group = et
				}
				out = append(out, f)
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if key == "" {
			key = sf.Name
		}
		optional := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		out = append(out, Field{Key: key, GoName: sf.Name, Type: sf.Type, Optional: optional, Owner: t})
	}
	return out
}

// ValidateOutput validates every line of out that holds the event
// prefix, as a test that captured a program's output does; it returns
// one error per bad line, each naming the line, or nil.
func ValidateOutput(out string) []error {
	var errs []error
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, Prefix) {
			continue
		}
		if err := Validate(line); err != nil {
			errs = append(errs, fmt.Errorf("%w\n  in %s", err, line))
		}
	}
	return errs
}
