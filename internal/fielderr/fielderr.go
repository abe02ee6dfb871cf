// Package fielderr is the error Plinth's strict file readers (install.yaml,
// plinth.yaml) report: the file, the line and column, and the dotted field
// at fault, so that a user can go straight to the mistake.
package fielderr

import (
	"fmt"
	"strings"
)

// Error is a problem at one place of a file.
type Error struct {
	File    string // the file's name, as the user knows it: "install.yaml"
	Line    int    // 1-based; 0 when the error is about the whole file
	Column  int    // 1-based; 0 when unknown
	Field   string // dotted path, e.g. "network.address"; "" for syntax errors
	Message string
}

// Error formats e as "file:line: field "f": message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Message)
	return b.String()
}
