package product

import (
	"os"
	"strings"
	"testing"
)

// TestREADMESchema keeps the README's field reference the same as this
// package's: both are what people read to write a plinth.yaml.
func TestREADMESchema(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var schema []string
	inSchema := false
	for _, l := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(l, "//\tproduct:                      # required"):
			inSchema = true
		case strings.HasPrefix(l, "// Unknown keys"):
			inSchema = false
		}
		if y, ok := strings.CutPrefix(l, "//\t"); inSchema && ok {
			schema = append(schema, "    "+y)
		}
	}
	if len(schema) < 50 {
		t.Fatalf("doc.go's schema has %d lines; the markers moved?", len(schema))
	}
	if !strings.Contains(string(readme), strings.Join(schema, "\n")+"\n") {
		t.Error("README.md's plinth.yaml reference differs from internal/product/doc.go's schema: copy the schema from doc.go into the README (indented by four spaces)")
	}
}
