// Package codeshape measures the shape of Go source: for now, how long its
// functions are. The project keeps functions short so each reads as a few
// named steps; the test in this package holds the build pipeline and the
// installer to that.
package codeshape

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Func is one function or method declaration.
type Func struct {
	File  string // path of the source file
	Name  string // Name, or Recv.Name for a method
	Line  int    // line of the func keyword
	Lines int    // lines from the func keyword to the closing brace, both included
}

func (f Func) String() string {
	return fmt.Sprintf("%s:%d: %s is %d lines", f.File, f.Line, f.Name, f.Lines)
}

// Funcs returns every function declared in the non-test .go files of dir
// (not its subdirectories), in file and line order. Function literals are
// part of the declaration that contains them.
func Funcs(dir string) ([]Func, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("codeshape: %w", err)
	}
	var funcs []Func
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("codeshape: %w", err)
		}
		funcs = append(funcs, fileFuncs(fset, path, f)...)
	}
	return funcs, nil
}

func fileFuncs(fset *token.FileSet, path string, f *ast.File) []Func {
	var funcs []Func
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		// fd.Pos() is the func keyword: the doc comment does not count.
		start, end := fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line
		funcs = append(funcs, Func{File: path, Name: funcName(fd), Line: start, Lines: end - start + 1})
	}
	return funcs
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch r := t.(type) {
	case *ast.IndexExpr: // generic receiver T[P]
		t = r.X
	case *ast.IndexListExpr:
		t = r.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// Longer returns the functions in dirs longer than max lines, longest first.
func Longer(max int, dirs ...string) ([]Func, error) {
	var long []Func
	for _, dir := range dirs {
		funcs, err := Funcs(dir)
		if err != nil {
			return nil, err
		}
		for _, f := range funcs {
			if f.Lines > max {
				long = append(long, f)
			}
		}
	}
	sort.SliceStable(long, func(i, j int) bool { return long[i].Lines > long[j].Lines })
	return long, nil
}
