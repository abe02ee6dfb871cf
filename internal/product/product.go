package product

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/fielderr"
)

// FileName is the product file's name, and the name errors are reported
// against.
const FileName = "plinth.yaml"

// Product is a parsed, validated plinth.yaml. Defaults are filled in:
// every field holds what the build and the appliance should use.
type Product struct {
	Name    string
	Version Version
	// Brand is the brand directory, slash-separated, clean and relative
	// to plinth.yaml's directory; "" for the built-in brand.
	Brand     string
	Cmdline   Cmdline
	Settings  []Setting
	Services  []Service
	Files     []File
	DataDirs  []DataDir
	Installer Installer
	// Network is the installed appliance's network unless the install
	// answers give another.
	Network answers.Network
	// SecureBoot holds what signing needs; zero: images are not signed.
	SecureBoot SecureBoot
	// Updates is how installed appliances take updates, defaults filled
	// in.
	Updates Updates

	// lines maps the fields Check reports on (product.brand,
	// services[i].file and .go, files[i].from) to their position.
	lines map[string]position
}

type position struct{ line, col int }

// Version is product.version.
type Version struct {
	FromGit bool   // version: git; the build takes `git describe` of the repository
	Text    string // the version as written, e.g. "v1.4.2"; "" when FromGit
}

func (v Version) String() string {
	if v.FromGit {
		return VersionGit
	}
	return v.Text
}

// VersionGit is the version: value that asks for `git describe`.
const VersionGit = "git"

// Cmdline holds kernel command-line parameters added to Plinth's own, as
// one line each ("" for none).
type Cmdline struct {
	Installer string
	Runtime   string
}

// Service is one program the appliance runs and supervises.
type Service struct {
	Name    string
	Program Program
	Args    []Template // after argv[0]; settings substituted by Expand
	Env     []EnvVar   // in file order
	User    string     // default: Name
	Group   string     // default: User
	WorkDir string     // default: /data/<Name>
	// Capabilities are the Linux capabilities the service keeps though
	// it runs as a user other than root (as ambient capabilities).
	Capabilities []Capability
	Restart      Restart
	Backoff      Backoff
	Stop         Stop
	After        []string     // names of services started before this one
	Health       *HealthCheck // nil: no health check
}

// ProgramKind says where a service's binary comes from.
type ProgramKind int

const (
	// GoPackage is a main package the build compiles (go: ...).
	GoPackage ProgramKind = iota + 1
	// StaticFile is a prebuilt static binary in the repository (file: ...).
	StaticFile
)

func (k ProgramKind) String() string {
	switch k {
	case GoPackage:
		return "go"
	case StaticFile:
		return "file"
	}
	return fmt.Sprintf("ProgramKind(%d)", int(k))
}

// Program is a service's binary.
type Program struct {
	Kind ProgramKind
	// Path is, for GoPackage, the package as written: "./cmd/server"
	// (a directory of the vendor's module, relative to plinth.yaml) or a
	// full import path; for StaticFile, a slash-separated clean path
	// relative to plinth.yaml's directory.
	Path string
}

// IsLocal reports whether p is a package of the module plinth.yaml is
// in, written ./<dir>.
func (p Program) IsLocal() bool {
	return p.Kind == GoPackage && (p.Path == "." || strings.HasPrefix(p.Path, "./"))
}

// EnvVar is one environment variable of a service.
type EnvVar struct {
	Name  string
	Value Template
}

// Restart says when a service that exited is started again.
type Restart int

// Restart policies.
const (
	RestartOnFailure Restart = iota + 1 // after a non-zero exit or a signal
	RestartAlways                       // after any exit
	RestartNever                        // never: a one-shot job
)

var restartNames = []string{RestartOnFailure: "on-failure", RestartAlways: "always", RestartNever: "never"}

func (r Restart) String() string {
	if r > 0 && int(r) < len(restartNames) {
		return restartNames[r]
	}
	return fmt.Sprintf("Restart(%d)", int(r))
}

// Backoff is the delay before a restart: Initial after the first
// failure, doubling per consecutive failure up to Max.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// Stop is how a service is stopped: Signal, then SIGKILL after Timeout.
type Stop struct {
	Signal  syscall.Signal
	Timeout time.Duration
}

// HealthKind is the kind of a health check.
type HealthKind int

// Health check kinds.
const (
	HealthHTTP    HealthKind = iota + 1 // GET http://127.0.0.1:Port/Path answers Status
	HealthTCP                           // 127.0.0.1:Port accepts a connection
	HealthCommand                       // Command exits 0
)

func (k HealthKind) String() string {
	switch k {
	case HealthHTTP:
		return "http"
	case HealthTCP:
		return "tcp"
	case HealthCommand:
		return "command"
	}
	return fmt.Sprintf("HealthKind(%d)", int(k))
}

// HealthCheck says how the appliance decides a service is healthy.
type HealthCheck struct {
	Kind    HealthKind
	Port    int        // HealthHTTP, HealthTCP
	Path    string     // HealthHTTP: starts with /
	Status  int        // HealthHTTP: the status that means healthy
	Command []Template // HealthCommand: argv, argv[0] an absolute path
	// Interval is the time between checks, Timeout the most one check
	// may take, StartPeriod the time after a start in which failures do
	// not count, and Retries the consecutive failures that make the
	// service unhealthy.
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}

// File is a file the build copies from the repository into the runtime
// image.
type File struct {
	Path  string // absolute, clean, in the runtime image
	From  string // slash-separated clean path relative to plinth.yaml's directory
	Mode  Mode
	Owner Owner
}

// DataDir is a directory the appliance creates on the data partition
// at every boot if it is missing, and gives its owner and mode.
type DataDir struct {
	Path  string // absolute, clean, below /data
	Mode  Mode
	Owner Owner
}

// Mode is a file's permission bits, setuid, setgid and sticky included,
// as chmod(2) takes them (at most 07777).
type Mode uint32

// MaxMode is the largest Mode.
const MaxMode Mode = 0o7777

func (m Mode) String() string { return fmt.Sprintf("0%03o", uint32(m)) }

// FileMode is m as Go's os package wants it.
func (m Mode) FileMode() fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	for _, b := range []struct {
		bit Mode
		fm  fs.FileMode
	}{{0o4000, fs.ModeSetuid}, {0o2000, fs.ModeSetgid}, {0o1000, fs.ModeSticky}} {
		if m&b.bit != 0 {
			fm |= b.fm
		}
	}
	return fm
}

// Owner is a file's user and group, by name.
type Owner struct {
	User  string
	Group string
}

func (o Owner) String() string { return o.User + ":" + o.Group }

// Installer holds what the installer needs from the product.
type Installer struct {
	// MinMemory and MinDisk are the least memory and disk size, in
	// bytes, the installer accepts; 0 keeps the installer's own.
	MinMemory int64
	MinDisk   int64
	// Answers, when not nil, are embedded install answers: every install
	// is then unattended. AnswersYAML is the same text as an install.yaml
	// of its own (comments kept), for the installer to read.
	Answers     *answers.Answers
	AnswersYAML []byte
	// AnswersURL and ReportURL are URL templates (package netanswers:
	// ${mac}, ${uuid}, ${serial}) of the answers of installs over the
	// network and of where the installer reports to; "": none.
	AnswersURL string
	ReportURL  string
	// CA is a PEM file of CA certificates the installer trusts for their
	// HTTPS besides the system's, slash-separated and relative to
	// plinth.yaml's directory; "": none.
	CA string
}

// SecureBoot is secure-boot:.
type SecureBoot struct {
	// Keys is the directory of the PK, KEK and db certificates and
	// private keys (package sbkeys): absolute, or slash-separated and
	// relative to plinth.yaml's directory.
	Keys string
	// Shim makes the media and the installed disk boot through
	// Microsoft-signed shim, with the product's signed UKI as its second
	// stage (package bootchain).
	Shim bool
}

// ParseError is every error Parse returns, and every error Check joins.
// Its File is always FileName.
type ParseError = fielderr.Error
