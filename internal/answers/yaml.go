package answers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// install.yaml is read with gopkg.in/yaml.v3 into its node tree (which
// keeps line and column numbers for error messages), then reduced to the
// small shape install.yaml needs. Anchors, aliases, explicit tags, merge
// keys and several documents are refused with a line number rather than
// interpreted: an answers file decides which disk is wiped, so it must
// mean exactly what it says.

type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
)

type node struct {
	kind      nodeKind
	line, col int
	value     string // scalarNode
	quoted    bool   // scalarNode: was quoted
	null      bool   // scalarNode: no value at all
	keys      []node // mapNode: key scalars, in order
	vals      []node // mapNode: values
	items     []node // seqNode
}

func synErr(line, col int, format string, a ...any) *ParseError {
	return &ParseError{File: FileName, Line: line, Column: col, Message: fmt.Sprintf(format, a...)}
}

// nodeErr is a problem with the node at field (dotted, "" for the
// document itself).
func nodeErr(n *yaml.Node, field, format string, a ...any) *ParseError {
	e := synErr(n.Line, n.Column, format, a...)
	e.Field = field
	return e
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the document's root node (a mapNode, or a null
// scalar for an empty document).
func parseYAML(data []byte) (node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return node{kind: scalarNode, null: true, line: 1, col: 1}, nil
		}
		return node{}, yamlError(err)
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		return node{}, synErr(second.Line, second.Column, "only one YAML document is allowed")
	} else if !errors.Is(err, io.EOF) {
		return node{}, yamlError(err)
	}
	if len(doc.Content) == 0 {
		return node{kind: scalarNode, null: true, line: 1, col: 1}, nil
	}
	return convert(doc.Content[0], "")
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a ParseError.
func yamlError(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return synErr(n, 1, "%s", m[2])
	}
	return synErr(1, 1, "%v", err)
}

// convert reduces n, found at field, to a node. Errors name the field
// of the node at fault: a duplicate key names that key.
func convert(n *yaml.Node, field string) (node, error) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return node{}, nodeErr(n, field, "anchors and aliases are not allowed")
	}
	if n.Style&yaml.TaggedStyle != 0 {
		return node{}, nodeErr(n, field, "explicit tags (%s) are not allowed", n.Tag)
	}
	out := node{line: n.Line, col: n.Column}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return node{}, nodeErr(n, field, "multi-line text is not allowed")
		}
		out.kind = scalarNode
		out.value = n.Value
		out.quoted = n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0
		out.null = !out.quoted && n.Tag == "!!null"
	case yaml.MappingNode:
		return convertMap(n, field)
	case yaml.SequenceNode:
		out.kind = seqNode
		for _, c := range n.Content {
			item, err := convert(c, field)
			if err != nil {
				return node{}, err
			}
			out.items = append(out.items, item)
		}
	default:
		return node{}, nodeErr(n, field, "unexpected YAML node")
	}
	return out, nil
}

func convertMap(n *yaml.Node, field string) (node, error) {
	if n.Style&yaml.FlowStyle != 0 {
		return node{}, nodeErr(n, field, "flow mappings ({...}) are not allowed: write one key per line")
	}
	out := node{kind: mapNode, line: n.Line, col: n.Column}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		at := join(field, n.Content[i].Value)
		k, err := convert(n.Content[i], at)
		if err != nil {
			return node{}, err
		}
		if k.kind != scalarNode || k.value == "<<" {
			return node{}, nodeErr(n.Content[i], field, "keys must be plain names")
		}
		if first, dup := seen[k.value]; dup {
			return node{}, nodeErr(n.Content[i], at, "duplicate key %q (first on line %d)", k.value, first)
		}
		seen[k.value] = k.line
		v, err := convert(n.Content[i+1], at)
		if err != nil {
			return node{}, err
		}
		out.keys = append(out.keys, k)
		out.vals = append(out.vals, v)
	}
	return out, nil
}
