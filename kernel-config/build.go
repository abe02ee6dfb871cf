// Package kernelconfig holds Plinth's kernel configuration fragments and
// builds kernels from them.
//
// A kernel is x86_64 tinyconfig + base.config + <kind>.config, resolved with
// olddefconfig. Every option a fragment asks for is checked after resolution,
// so a dependency that silently drops an option is an error, not a surprise
// at boot. Built bzImages are cached outside the source tree, keyed by the
// fragments, the kernel source and this builder's version, because a build
// takes many minutes on small machines and CI reuses the cache.
//
// Both kernels are compiled in one object tree per source, kept in the
// cache: kbuild records which CONFIG_ symbols each object depends on, so
// the second kernel, or a kernel after a fragment changes, recompiles only
// the objects those options touch (on 2 cores the runtime kernel after
// the installer's: 13 objects and half a minute, instead of 1,495 and
// eleven minutes). That is why options that reach widely used headers are in
// base.config even though one kernel alone needs them (SECURITY and
// SECURITYFS for the runtime's lockdown, BLK_DEV_SR, through CDROM, for
// the installer): differing, they would recompile most objects.
package kernelconfig

import (
	"bufio"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

//go:embed *.config
var fragmentFiles embed.FS

// builderVersion changes whenever the build recipe changes, to invalidate caches.
const builderVersion = "plinth-kernel-build-2"

// debianSource is Debian 12's packaged kernel source (package linux-source-6.1),
// the version the fragments are written for.
const debianSource = "/usr/src/linux-source-6.1.tar.xz"

// DefaultSource returns Debian's 6.1 source tarball if installed, else the
// newest /usr/src/linux-source-*.tar.* (package linux-source on Ubuntu).
func DefaultSource() string {
	if _, err := os.Stat(debianSource); err == nil {
		return debianSource
	}
	matches, _ := filepath.Glob("/usr/src/linux-source-*.tar.*")
	if len(matches) == 0 {
		return debianSource // the error will name the package to install
	}
	sort.Strings(matches)
	return matches[len(matches)-1]
}

// Kinds are the kernels Plinth builds.
var Kinds = []string{"installer", "runtime"}

// Options configure a kernel build.
type Options struct {
	Kind     string    // "installer" or "runtime"
	Source   string    // kernel source: a .tar.xz/.tar.gz tarball or an unpacked tree; default DefaultSource
	CacheDir string    // default $XDG_CACHE_HOME/plinth or ~/.cache/plinth
	Jobs     int       // parallel make jobs; default runtime.NumCPU()
	Log      io.Writer // progress lines; default io.Discard
}

// Result describes a built (or cached) kernel.
type Result struct {
	BzImage  string // path of the bzImage in the cache
	Config   string // path of the resolved .config in the cache
	Release  string // kernel release string (uname -r)
	Key      string // cache key
	Cached   bool
	Duration time.Duration
}

// Fragment returns the config text for kind: base.config followed by kind's fragment.
func Fragment(kind string) (string, error) {
	if !validKind(kind) {
		return "", fmt.Errorf("kernel: unknown kind %q (want one of %s)", kind, strings.Join(Kinds, ", "))
	}
	var b strings.Builder
	for _, name := range []string{"base.config", kind + ".config"} {
		data, err := fragmentFiles.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("kernel: read fragment %s: %w", name, err)
		}
		b.Write(data)
		if !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

func validKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Option is one CONFIG_ line of a fragment.
type Option struct {
	Name  string // CONFIG_FOO
	Value string // y, n, 64, "string"
}

// ParseFragment returns the options a fragment sets, in order.
func ParseFragment(text string) ([]Option, error) {
	var opts []Option
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "CONFIG_") || value == "" {
			return nil, fmt.Errorf("kernel: fragment line %d: %q is not CONFIG_NAME=value", i+1, line)
		}
		opts = append(opts, Option{Name: name, Value: value})
	}
	return opts, nil
}

// configLine is how an option appears in a resolved .config.
func (o Option) configLine() string {
	if o.Value == "n" {
		return "# " + o.Name + " is not set"
	}
	return o.Name + "=" + o.Value
}

// Missing lists the options of frag that the resolved config does not have as asked.
func Missing(frag []Option, resolved string) []string {
	have := map[string]string{}
	for _, line := range strings.Split(resolved, "\n") {
		switch {
		case strings.HasPrefix(line, "CONFIG_"):
			name, value, _ := strings.Cut(line, "=")
			have[name] = value
		case strings.HasPrefix(line, "# CONFIG_") && strings.HasSuffix(line, " is not set"):
			have[strings.TrimSuffix(strings.TrimPrefix(line, "# "), " is not set")] = "n"
		}
	}
	var missing []string
	for _, o := range frag {
		got, ok := have[o.Name]
		if !ok {
			got = "n" // absent from .config: its dependencies are not met
		}
		if got != o.Value {
			missing = append(missing, fmt.Sprintf("%s (asked %s, got %s)", o.Name, o.Value, got))
		}
	}
	return missing
}

// DefaultCacheDir is where built kernels are kept between builds and clones.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "plinth"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernel: no cache directory: %w", err)
	}
	return filepath.Join(home, ".cache", "plinth"), nil
}

// Build returns the kernel for opts.Kind, building it unless the cache has it.
func Build(ctx context.Context, opts Options) (Result, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return Result{}, err
	}
	b, err := plan(opts)
	if err != nil {
		return Result{}, err
	}
	if cached(b.outDir, &b.res) {
		b.res.Duration = time.Since(start)
		return b.res, nil
	}
	// Another build of the same key (a second mkiso) waits here, then finds it cached.
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("kernel: %w", err)
	}
	unlock, err := lock(filepath.Join(opts.CacheDir, b.res.Key+".lock"), opts.Log)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	if cached(b.outDir, &b.res) {
		b.res.Duration = time.Since(start)
		return b.res, nil
	}
	if err := b.run(ctx); err != nil {
		return Result{}, err
	}
	b.res.Duration = time.Since(start)
	fmt.Fprintf(opts.Log, "kernel %s: built %s in %s\n", opts.Kind, b.res.Release, b.res.Duration.Round(time.Second))
	return b.res, nil
}

// withDefaults fills in the options left empty.
func (opts Options) withDefaults() (Options, error) {
	if opts.Source == "" {
		opts.Source = DefaultSource()
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.CacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return opts, err
		}
		opts.CacheDir = d
	}
	return opts, nil
}

// kernelBuild is one build of a kernel into the cache; its steps fill in
// the fields in the order they are declared.
type kernelBuild struct {
	opts     Options
	fragOpts []Option // what the fragments ask for
	srcID    string   // see sourceID
	outDir   string   // the cache entry: bzImage, config, release
	res      Result

	srcDir     string   // unpacked kernel tree
	treeDir    string   // O= object tree, shared by the kinds and kept
	unlockTree func()   // releases treeDir's lock
	reused     bool     // treeDir held an earlier build
	logPath    string   // make's output, kept when a step fails
	logFile    *os.File // open on logPath
	resolved   []byte   // .config after olddefconfig
}

// plan reads the fragments, checks that the source and tools are there and
// names the cache entry, before anything is built.
func plan(opts Options) (*kernelBuild, error) {
	frag, err := Fragment(opts.Kind)
	if err != nil {
		return nil, err
	}
	fragOpts, err := ParseFragment(frag)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(opts.Source); err != nil {
		return nil, fmt.Errorf("kernel: source %s not found: install it with 'apt-get install linux-source' or set KERNEL_SRC to a kernel tree or tarball", opts.Source)
	}
	for _, tool := range []string{"make", "gcc", "flex", "bison", "bc", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("kernel: %s not found: install the build tools with 'apt-get install build-essential flex bison bc libelf-dev libssl-dev xz-utils'", tool)
		}
	}
	srcID, err := sourceID(opts.Source)
	if err != nil {
		return nil, err
	}
	key := cacheKey(opts.Kind, srcID, frag)
	outDir := filepath.Join(opts.CacheDir, "kernels", key)
	return &kernelBuild{
		opts: opts, fragOpts: fragOpts, srcID: srcID, outDir: outDir,
		res: Result{
			BzImage: filepath.Join(outDir, "bzImage"),
			Config:  filepath.Join(outDir, "config"),
			Key:     key,
		},
	}, nil
}

// run builds the kernel and stores it in the cache. A compile that
// fails in a reused object tree is tried once more in a clean one: an
// interrupted earlier build can leave objects make takes as current.
func (b *kernelBuild) run(ctx context.Context) error {
	fmt.Fprintf(b.opts.Log, "kernel %s: not cached (%s), building from %s with %d jobs\n", b.opts.Kind, b.res.Key, b.opts.Source, b.opts.Jobs)
	defer b.close()
	if err := b.unpackSource(ctx); err != nil {
		return err
	}
	if err := b.openTree(); err != nil {
		return err
	}
	if err := b.configure(ctx); err != nil {
		return err
	}
	err := b.makeBzImage(ctx)
	if err != nil && b.reused && ctx.Err() == nil {
		fmt.Fprintf(b.opts.Log, "%v; building again in a clean object tree\n", err)
		if err = b.cleanTree(); err == nil {
			if err = b.configure(ctx); err == nil {
				err = b.makeBzImage(ctx)
			}
		}
	}
	if err != nil {
		return err
	}
	if err := b.readRelease(ctx); err != nil {
		return err
	}
	return b.store(ctx)
}

func (b *kernelBuild) close() {
	if b.logFile != nil {
		b.logFile.Close()
	}
	if b.unlockTree != nil {
		b.unlockTree()
	}
}

func (b *kernelBuild) unpackSource(ctx context.Context) error {
	dir, err := unpack(ctx, b.opts.Source, b.srcID, b.opts.CacheDir, b.opts.Log)
	b.srcDir = dir
	return err
}

// openTree locks the source's object tree for this build (another
// mkiso building the other kind waits) and opens this kind's build log
// in it.
func (b *kernelBuild) openTree() error {
	sum := sha256.Sum256([]byte(b.srcID))
	b.treeDir = filepath.Join(b.opts.CacheDir, "build", "tree-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(b.treeDir, 0o755); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	unlock, err := lock(b.treeDir+".lock", b.opts.Log)
	if err != nil {
		return err
	}
	b.unlockTree = unlock
	_, err = os.Stat(filepath.Join(b.treeDir, ".config"))
	b.reused = err == nil
	b.logPath = filepath.Join(b.treeDir, "build-"+b.opts.Kind+".log")
	if b.logFile, err = os.Create(b.logPath); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	return nil
}

// cleanTree empties the object tree, keeping this build's log.
func (b *kernelBuild) cleanTree() error {
	entries, err := os.ReadDir(b.treeDir)
	if err != nil {
		return fmt.Errorf("kernel: clean %s: %w", b.treeDir, err)
	}
	for _, e := range entries {
		if p := filepath.Join(b.treeDir, e.Name()); p != b.logPath {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("kernel: clean %s: %w", b.treeDir, err)
			}
		}
	}
	b.reused = false
	return nil
}

// buildEnv pins what kbuild would otherwise take from the machine and
// the moment (user, host, date, the tree's build count), so that a
// kernel's bytes do not depend on who built it, when, or how many builds
// the shared tree has seen.
func buildEnv() []string {
	return append(os.Environ(), "KBUILD_BUILD_USER=plinth", "KBUILD_BUILD_HOST=plinth", "KBUILD_BUILD_VERSION=1",
		"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970")
}

// make is a make command on the source tree into the object tree.
func (b *kernelBuild) make(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "make", append([]string{"-C", b.srcDir, "O=" + b.treeDir}, args...)...)
	cmd.Env = buildEnv()
	return cmd
}

// runMake runs make on the tree into the object directory, logging to the build log.
func (b *kernelBuild) runMake(ctx context.Context, args ...string) error {
	cmd := b.make(ctx, args...)
	cmd.Stdout, cmd.Stderr = b.logFile, b.logFile
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kernel: make %s: %w (log: %s)", strings.Join(args, " "), err, b.logPath)
	}
	return nil
}

// configure resolves tinyconfig plus the fragments and checks that every
// option asked for survived olddefconfig.
func (b *kernelBuild) configure(ctx context.Context) error {
	if err := b.runMake(ctx, "tinyconfig"); err != nil {
		return err
	}
	cfgPath := filepath.Join(b.treeDir, ".config")
	if err := appendFragment(cfgPath, b.fragOpts); err != nil {
		return err
	}
	if err := b.runMake(ctx, "olddefconfig"); err != nil {
		return err
	}
	resolved, err := os.ReadFile(cfgPath)
	if err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	if miss := Missing(b.fragOpts, string(resolved)); len(miss) > 0 {
		return fmt.Errorf("kernel %s: options dropped by olddefconfig (fix their dependencies in kernel-config/): %s", b.opts.Kind, strings.Join(miss, "; "))
	}
	b.resolved = resolved
	return nil
}

func (b *kernelBuild) makeBzImage(ctx context.Context) error {
	return makeWithProgress(b.make(ctx, fmt.Sprintf("-j%d", b.opts.Jobs), "bzImage"), b.opts, b.logFile, b.logPath)
}

// readRelease asks the build for the kernel release (uname -r).
func (b *kernelBuild) readRelease(ctx context.Context) error {
	relOut, err := b.make(ctx, "-s", "kernelrelease").Output()
	if err != nil {
		return fmt.Errorf("kernel: make kernelrelease: %w", err)
	}
	b.res.Release = strings.TrimSpace(lastLine(string(relOut)))
	return nil
}

// store puts bzImage, config and release into the cache entry, through a
// temporary directory so a half-written entry is never taken as cached.
func (b *kernelBuild) store(context.Context) error {
	tmpOut := b.outDir + ".tmp"
	os.RemoveAll(tmpOut)
	if err := os.MkdirAll(tmpOut, 0o755); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	if err := copyFile(filepath.Join(b.treeDir, "arch/x86/boot/bzImage"), filepath.Join(tmpOut, "bzImage")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmpOut, "config"), b.resolved, 0o644); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmpOut, "release"), []byte(b.res.Release+"\n"), 0o644); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	os.RemoveAll(b.outDir)
	if err := os.Rename(tmpOut, b.outDir); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	return nil
}

func cached(outDir string, res *Result) bool {
	rel, err := os.ReadFile(filepath.Join(outDir, "release"))
	if err != nil {
		return false
	}
	if _, err := os.Stat(res.BzImage); err != nil {
		return false
	}
	res.Release = strings.TrimSpace(string(rel))
	res.Cached = true
	return true
}

// lock takes an exclusive lock on path, saying so when it has to wait.
func lock(path string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kernel: lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		fmt.Fprintf(log, "kernel: waiting for another build holding %s\n", path)
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("kernel: lock %s: %w", path, err)
		}
	}
	return func() { f.Close() }, nil
}

// CacheKey names the cached build of kind from source.
func CacheKey(kind, source string) (string, error) {
	frag, err := Fragment(kind)
	if err != nil {
		return "", err
	}
	srcID, err := sourceID(source)
	if err != nil {
		return "", err
	}
	return cacheKey(kind, srcID, frag), nil
}

func cacheKey(kind, srcID, frag string) string {
	sum := sha256.Sum256([]byte(builderVersion + "\n" + srcID + "\n" + kind + "\n" + frag))
	return kind + "-" + hex.EncodeToString(sum[:8])
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// makeWithProgress runs the bzImage build, reporting a line every 15 s.
func makeWithProgress(cmd *exec.Cmd, opts Options, logFile *os.File, logPath string) error {
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var steps atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if strings.HasPrefix(strings.TrimSpace(line), "CC ") {
				steps.Add(1)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	start := time.Now()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	errc := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("kernel: start make: %w", err)
	}
	go func() { errc <- cmd.Wait(); pw.Close() }()
	for {
		select {
		case err := <-errc:
			<-done
			if err != nil {
				return fmt.Errorf("kernel %s: make bzImage: %w (log: %s)", opts.Kind, err, logPath)
			}
			return nil
		case <-tick.C:
			fmt.Fprintf(opts.Log, "kernel %s: %d files compiled, %s elapsed (log: %s)\n", opts.Kind, steps.Load(), time.Since(start).Round(time.Second), logPath)
		}
	}
}

func appendFragment(cfgPath string, frag []Option) error {
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	for _, o := range frag {
		fmt.Fprintln(f, o.configLine())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("kernel: append fragment: %w", err)
	}
	return nil
}

// sourceID identifies a kernel source: a tarball by its content hash, a
// tree by its file names, sizes and modification times.
func sourceID(src string) (string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	h := sha256.New()
	if !st.IsDir() {
		f, err := os.Open(src)
		if err != nil {
			return "", fmt.Errorf("kernel: %w", err)
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("kernel: hash %s: %w", src, err)
		}
		return "tar:" + hex.EncodeToString(h.Sum(nil)), nil
	}
	var lines []string
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			lines = append(lines, fmt.Sprintf("%s %d %d", rel, info.Size(), info.ModTime().UnixNano()))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("kernel: scan %s: %w", src, err)
	}
	sort.Strings(lines)
	for _, l := range lines {
		io.WriteString(h, l+"\n")
	}
	return "dir:" + hex.EncodeToString(h.Sum(nil)), nil
}

// unpack returns a kernel tree for src, unpacking a tarball into the cache once.
func unpack(ctx context.Context, src, srcID, cacheDir string, log io.Writer) (string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	if st.IsDir() {
		return src, nil
	}
	sum := sha256.Sum256([]byte(srcID))
	dir := filepath.Join(cacheDir, "src", hex.EncodeToString(sum[:8]))
	marker := filepath.Join(dir, ".plinth-unpacked")
	if data, err := os.ReadFile(marker); err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	fmt.Fprintf(log, "kernel: unpacking %s into %s\n", src, dir)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	cmd := exec.CommandContext(ctx, "tar", untarArgs(src, dir)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("kernel: unpack %s: %w: %s", src, err, out)
	}
	// The tarball holds one top-level directory (linux-source-6.1).
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	var tree string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "Makefile")); err == nil {
				tree = filepath.Join(dir, e.Name())
			}
		}
	}
	if tree == "" {
		return "", errors.New("kernel: tarball " + src + " holds no kernel tree (no top-level directory with a Makefile)")
	}
	if err := os.WriteFile(marker, []byte(tree+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("kernel: %w", err)
	}
	return tree, nil
}

// untarArgs are tar's arguments to unpack src into dir. Debian's .xz
// kernel tarball is compressed in many blocks, which xz decompresses on
// every core: half the time on two, and the unpack is on the build's
// critical path.
func untarArgs(src, dir string) []string {
	if strings.HasSuffix(src, ".xz") {
		return []string{"--use-compress-program=xz -T0", "-xf", src, "-C", dir}
	}
	return []string{"-xf", src, "-C", dir}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("kernel: copy %s: %w", from, err)
	}
	return out.Close()
}
