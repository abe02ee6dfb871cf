package product

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// plinth.yaml is read with gopkg.in/yaml.v3 into its node tree, which
// keeps the line and column of every value. strict then refuses, before
// any field is read, what YAML allows but a product file must not use:
// anchors and aliases (one value silently shared between services),
// explicit tags and merge keys (a value that is not what it looks like),
// duplicate keys (yaml.v3 keeps both; which one wins is a guess) and
// more than one document. The typed reading below then refuses unknown
// keys and values of the wrong kind, naming the field.

// tree returns the root node of data's single document, checked by
// strict; nil for an empty file.
func tree(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &ParseError{File: FileName, Line: next.Line, Column: next.Column, Message: "only one YAML document is allowed: remove the second ---"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	return root, strict(root, "")
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns yaml.v3's "yaml: line N: msg" into a ParseError.
func syntaxError(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &ParseError{File: FileName, Line: n, Message: m[2]}
	}
	return &ParseError{File: FileName, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
}

func strict(n *yaml.Node, field string) error {
	switch {
	case n.Kind == yaml.AliasNode || n.Anchor != "":
		return at(n, field, "anchors and aliases (&name, *name) are not allowed: write the value out")
	case n.Style&yaml.TaggedStyle != 0:
		return at(n, field, "explicit tags (%s) are not allowed: write the plain value", n.Tag)
	case n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := strict(c, fmt.Sprintf("%s[%d]", field, i)); err != nil {
				return err
			}
		}
	case n.Kind == yaml.MappingNode:
		return strictMapping(n, field)
	}
	return nil
}

func strictMapping(n *yaml.Node, field string) error {
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := strict(k, field); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return at(k, field, "keys must be plain names (no merge keys <<, lists or mappings as keys)")
		}
		f := join(field, k.Value)
		if line, dup := first[k.Value]; dup {
			return at(k, f, "duplicate key (first on line %d)", line)
		}
		first[k.Value] = k.Line
		if err := strict(v, f); err != nil {
			return err
		}
	}
	return nil
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func at(n *yaml.Node, field, format string, a ...any) *ParseError {
	return &ParseError{File: FileName, Line: n.Line, Column: n.Column, Field: field, Message: fmt.Sprintf(format, a...)}
}

// val is a node and its dotted field path.
type val struct {
	*yaml.Node
	field string
}

func (v val) errorf(format string, a ...any) *ParseError {
	return at(v.Node, v.field, format, a...)
}

// kind names what v is, for "want X, got <kind>".
func (v val) kind() string {
	switch {
	case v.Kind == yaml.MappingNode:
		return "a mapping"
	case v.Kind == yaml.SequenceNode:
		return "a list"
	case v.isNull():
		return "nothing"
	}
	return "a value"
}

func (v val) isNull() bool {
	return v.Kind == yaml.ScalarNode && v.Tag == "!!null"
}

// text returns a scalar as written: `port: 0644` is "0644".
func (v val) text() (string, error) {
	switch {
	case v.isNull():
		return "", v.errorf("empty value: give a value or remove the key")
	case v.Kind != yaml.ScalarNode:
		return "", v.errorf("want a single value, got %s", v.kind())
	}
	return v.Value, nil
}

// line returns a one-line text: no control characters.
func (v val) line() (string, error) {
	s, err := v.text()
	if err != nil {
		return "", err
	}
	switch i := strings.IndexFunc(s, isControl); {
	case i < 0:
		return s, nil
	case s[i] == '\n' || s[i] == '\r':
		return "", v.errorf("contains a line break: write it on one line")
	case s[i] == 0:
		return "", v.errorf("contains a NUL character: remove it")
	default:
		return "", v.errorf("contains the control character %U: remove it", rune(s[i]))
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// integer returns a whole number in [lo, hi], written as a plain number.
func (v val) integer(lo, hi int64) (int64, error) {
	s, err := v.text()
	if err != nil {
		return 0, err
	}
	if v.Tag != "!!int" {
		return 0, v.errorf("want a whole number, got %q", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, v.errorf("want a decimal whole number, got %q", s)
	}
	if n < lo || n > hi {
		return 0, v.errorf("%d is out of range: want %d to %d", n, lo, hi)
	}
	return n, nil
}

// boolean returns true or false, and refuses YAML 1.1's yes, on, 1.
func (v val) boolean() (bool, error) {
	s, err := v.text()
	if err != nil {
		return false, err
	}
	if v.Tag == "!!bool" {
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, v.errorf("want true or false, got %q", s)
}

// duration returns a Go duration ("1s", "1m30s", "500ms"): at least
// zero, and above zero when positive.
func (v val) duration(positive bool) (time.Duration, error) {
	s, err := v.text()
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, v.errorf("want a duration such as 500ms, 10s, 2m or 1h30m, got %q", s)
	case d < 0:
		return 0, v.errorf("%s is negative", s)
	case d == 0 && positive:
		return 0, v.errorf("want a duration above zero, got %s", s)
	}
	return d, nil
}

// items returns the elements of a list.
func (v val) items() ([]val, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, v.errorf("want a list, got %s", v.kind())
	}
	out := make([]val, len(v.Content))
	for i, c := range v.Content {
		out[i] = val{c, fmt.Sprintf("%s[%d]", v.field, i)}
	}
	return out, nil
}

// eachText calls fn with each element of a list of single values and its
// text, for checks whose errors point at the element; it returns the
// elements.
func (v val) eachText(fn func(it val, s string) error) ([]val, error) {
	items, err := v.items()
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		s, err := it.text()
		if err == nil {
			err = fn(it, s)
		}
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}

// texts returns a list of single values as written.
func (v val) texts() ([]string, error) {
	out := []string{} // an empty list is a value, not a missing one
	_, err := v.eachText(func(_ val, s string) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// fields is a mapping's values by key; strict has refused duplicates.
type fields struct {
	parent val
	keys   []string
	vals   map[string]val
}

// fields reads a mapping whose keys must be among known.
func (v val) fields(known ...string) (fields, error) {
	f := fields{parent: v, vals: map[string]val{}}
	if v.Kind != yaml.MappingNode {
		return f, v.errorf("want a mapping (%s), got %s", keyList(known), v.kind())
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i]
		name := join(v.field, k.Value)
		if !slices.Contains(known, k.Value) {
			return f, at(k, name, "unknown key (known: %s)%s", strings.Join(known, ", "), didYouMean(k.Value, known))
		}
		f.keys = append(f.keys, k.Value)
		f.vals[k.Value] = val{v.Content[i+1], name}
	}
	return f, nil
}

func keyList(known []string) string {
	return strings.Join(known, ":, ") + ":"
}

func (f fields) get(key string) (val, bool) {
	v, ok := f.vals[key]
	return v, ok
}

// missing is the error for a required key that is not there.
func (f fields) missing(key, hint string) *ParseError {
	return at(f.parent.Node, join(f.parent.field, key), "required: %s", hint)
}
