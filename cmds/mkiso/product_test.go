package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/productspec"
)

// writeTree writes files (path relative to dir: content) and returns dir.
func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "\x7fELF") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestProductFileFillsFlags reads the minimal example's plinth.yaml: its
// fields become the build's, and a flag given on the command line wins.
func TestProductFileFillsFlags(t *testing.T) {
	conf := filepath.Join("..", "..", "examples", "minimal", "plinth.yaml")
	cfg, err := parseFlags([]string{"-config", conf}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Product != "Hello Appliance" || cfg.Version != "1.0.0" || len(cfg.payloads) != 1 || cfg.payloads[0].Build != "./cmd/hello" {
		t.Errorf("from plinth.yaml: product %q version %q payloads %+v", cfg.Product, cfg.Version, cfg.payloads)
	}
	if abs, _ := filepath.Abs(filepath.Dir(conf)); cfg.ProductDir != abs {
		t.Errorf("product dir %q, want %q", cfg.ProductDir, abs)
	}
	cfg, err = parseFlags([]string{"-config", conf, "-product", "Other", "-version", "9", "-runtime-cmdline", "quiet"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Product != "Other" || cfg.Version != "9" || cfg.RuntimeCmdline != "quiet" {
		t.Errorf("flags did not win: product %q version %q runtime cmdline %q", cfg.Product, cfg.Version, cfg.RuntimeCmdline)
	}
}

// TestProductSpec compiles a product with two users, a data directory,
// a file and an order: the IDs, start order and owners are what the
// appliance relies on, and they do not depend on anything but the file.
func TestProductSpec(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"plinth.yaml": `product: {name: Acme, version: "1"}
settings:
  - {name: port, type: int, default: 8080}
services:
  - name: web
    file: bin/web
    args: ["--port=${port}"]
    after: [db]
    capabilities: [CAP_NET_BIND_SERVICE]
  - name: db
    file: bin/db
    group: acme
    health: {tcp: {port: 5432}}
files:
  - {path: /etc/acme.conf, from: acme.conf, mode: "0640", owner: "root:acme"}
data-dirs:
  - {path: /data/backups, owner: "db:acme", mode: "0700"}
`,
		"acme.conf": "x\n",
	})
	staticELF(t, filepath.Join(dir, "bin", "web"))
	staticELF(t, filepath.Join(dir, "bin", "db"))
	cfg, err := parseFlags([]string{"-config", filepath.Join(dir, "plinth.yaml")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := productSpec(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := productspec.Marshal(&spec); err != nil {
		t.Fatalf("spec does not validate: %v", err)
	}
	var order []string
	for _, s := range spec.Services {
		order = append(order, s.Name)
	}
	if !slices.Equal(order, []string{"db", "web"}) {
		t.Errorf("start order %v, want db before web", order)
	}
	db, web := spec.Services[0], spec.Services[1]
	if db.UID != 1000 || db.GID != 1000 || web.UID != 1001 || web.GID != 1001 || db.Exec != "/payload/db" || db.WorkDir != "/data/db" {
		t.Errorf("db %+v, web %+v", db, web)
	}
	if !slices.Equal(web.Capabilities, []int{10}) {
		t.Errorf("web capabilities %v, want [10]", web.Capabilities)
	}
	wantDirs := []productspec.DataDir{{Path: "/data/backups", UID: 1000, GID: 1000, Mode: 0o700}, {Path: "/data/db", UID: 1000, GID: 1000, Mode: 0o750}, {Path: "/data/web", UID: 1001, GID: 1001, Mode: 0o750}}
	if !slices.Equal(spec.DataDirs, wantDirs) {
		t.Errorf("data dirs %+v, want %+v", spec.DataDirs, wantDirs)
	}
	acc := accountFiles(spec)
	if got := string(acc["/etc/group"]); got != "root:x:0:\nacme:x:1000:\nweb:x:1001:\n" {
		t.Errorf("/etc/group:\n%s", got)
	}
	files, owners, err := productFiles(cfg, spec, func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, rel)) })
	if err != nil || string(files["/etc/acme.conf"]) != "x\n" || owners["/etc/acme.conf"].GID != 1000 || owners["/etc/acme.conf"].Perm != 0o640 {
		t.Errorf("files %q owners %+v err %v", files, owners, err)
	}
}

// staticELF builds a tiny static Go program at path.
func staticELF(t *testing.T, path string) { t.Helper(); goBinary(t, path) }

// goBinary builds a tiny Go program at path for the target, env changed.
func goBinary(t *testing.T, path string, env ...string) {
	t.Helper()
	src := writeTree(t, t.TempDir(), map[string]string{"go.mod": "module example.com/x\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {}\n"})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir, cmd.Env = src, append(append(os.Environ(), goTarget...), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// TestProductBadInput: every mistake is one error naming the field and
// what to do, found before anything is written.
func TestProductBadInput(t *testing.T) {
	base := "product: {name: Acme, version: \"1\"}\n"
	for _, tc := range []struct {
		name, yaml string
		files      map[string]string
		want       []string
	}{
		{"dynamic binary", base + "services:\n  - {name: a, file: bin/a}\n", map[string]string{"bin/a": "dynamic"}, []string{"services[0].file", "dynamically linked"}},
		{"not x86-64", base + "services:\n  - {name: a, file: bin/a}\n", map[string]string{"bin/a": "arm64"}, []string{"services[0].file", "AARCH64"}},
		{"missing file", base + "files:\n  - {path: /etc/x, from: nope}\n", nil, []string{"files[0].from", "nope"}},
		{"two services one name", base + "services:\n  - {name: a, go: ./a}\n  - {name: a, go: ./b}\n", map[string]string{"a/m.go": "", "b/m.go": ""}, []string{"services[1].name", "twice"}},
		{"after cycle", base + "services:\n  - {name: a, go: ./a, after: [b]}\n  - {name: b, go: ./a, after: [a]}\n", map[string]string{"a/m.go": ""}, []string{"after", "cycle"}},
		{"health port", base + "services:\n  - {name: a, go: ./a, health: {tcp: {port: 70000}}}\n", map[string]string{"a/m.go": ""}, []string{"services[0].health.tcp.port", "65535"}},
		{"undeclared setting", base + "services:\n  - {name: a, go: ./a, args: [\"${nope}\"]}\n", map[string]string{"a/m.go": ""}, []string{"services[0].args", "nope", "declare it under settings:"}},
		{"unknown capability", base + "services:\n  - {name: a, go: ./a, capabilities: [CAP_NET_BIND]}\n", map[string]string{"a/m.go": ""}, []string{"capabilities", "CAP_NET_BIND_SERVICE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"plinth.yaml": tc.yaml}
			for k, v := range tc.files {
				files[k] = v
			}
			for k, v := range files {
				switch v {
				case "dynamic":
					files[k] = ""
					copyFile(t, "/bin/true", filepath.Join(dir, k))
				case "arm64":
					files[k] = ""
					goBinary(t, filepath.Join(dir, k), "GOARCH=arm64")
				}
			}
			for k, v := range files {
				if v != "" || !strings.HasPrefix(k, "bin/") {
					writeTree(t, dir, map[string]string{k: v})
				}
			}
			out := filepath.Join(dir, "out", "x.iso")
			_, err := parseFlags([]string{"-config", filepath.Join(dir, "plinth.yaml"), "-o", out}, io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, serr := os.Stat(filepath.Dir(out)); serr == nil {
				t.Errorf("out/ was created")
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestGoBuilderCaches compiles a main package of another module: the
// second build comes from the cache, a changed source builds again, and
// a library package is refused with a hint.
func TestGoBuilderCaches(t *testing.T) {
	mod := writeTree(t, t.TempDir(), map[string]string{
		"go.mod":         "module example.com/v\n\ngo 1.26\n",
		"cmd/s/main.go":  "package main\n\nimport \"example.com/v/lib\"\n\nfunc main() { println(lib.X) }\n",
		"lib/lib.go":     "package lib\n\nconst X = 1\n",
		"plinth.yaml":    "unused",
		"other/other.go": "package other\n",
	})
	g := goBuilder{moduleDir: mod, cacheDir: t.TempDir()}
	ctx := context.Background()
	bin, cached, err := g.build(ctx, "./cmd/s")
	if err != nil || cached || len(bin) == 0 {
		t.Fatalf("first build: %d bytes, cached %v, %v", len(bin), cached, err)
	}
	if err := checkStaticBytes("s", bin); err != nil {
		t.Error(err)
	}
	if _, cached, err = g.build(ctx, "./cmd/s"); err != nil || !cached {
		t.Errorf("second build: cached %v, %v", cached, err)
	}
	writeTree(t, mod, map[string]string{"lib/lib.go": "package lib\n\nconst X = 2\n"})
	if _, cached, err = g.build(ctx, "./cmd/s"); err != nil || cached {
		t.Errorf("after a dependency changed: cached %v, %v", cached, err)
	}
	if _, _, err = g.build(ctx, "./other"); err == nil || !strings.Contains(err.Error(), "not a main package") {
		t.Errorf("library package: %v", err)
	}
}
