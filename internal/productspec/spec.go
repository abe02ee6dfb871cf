// Package productspec is the product as the runtime image carries it:
// the services the appliance supervises (with their users, capabilities,
// restart, stop and health rules), the settings each machine may be
// given, the users and groups of the image and the data directories to
// keep. mkiso compiles plinth.yaml (package product) into it and writes
// it as JSON to /etc/plinth/product.json in the runtime initramfs; the
// installer carries the same file to validate one machine's settings.
//
// It is separate from the installed config (package appconfig, on the
// ESP) on purpose: the config is the machine's (identity, disks,
// network, setting values) and survives updates; the spec is the
// version's and comes with each runtime image, so an update that adds a
// service or changes a flag needs no change to the machine's config.
//
// Templates (${name}) stay unexpanded here: the appliance substitutes the
// machine's setting values at every boot (Expand).
package productspec

import (
	"time"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/setting"
)

// Path is where the runtime image (and the installer image, for the
// settings) carries the spec.
const Path = "/etc/plinth/product.json"

// SchemaVersion is the version of the format this package reads and
// writes.
const SchemaVersion = 1

// Spec is the content of product.json.
type Spec struct {
	Schema   int            `json:"schema"` // SchemaVersion
	Product  string         `json:"product"`
	Version  string         `json:"version"`
	Settings []setting.Decl `json:"settings"`
	Services []Service      `json:"services"` // in start order: every After before its service
	Users    []User         `json:"users"`    // besides root; /etc/passwd of the image lists them
	Groups   []Group        `json:"groups"`   // besides root; /etc/group of the image
	DataDirs []DataDir      `json:"dataDirs"` // created below /data at every boot, services' workdirs included
	Updates  Updates        `json:"updates"`
}

// Updates is how the appliance takes updates (plinth.yaml updates:,
// package updater).
type Updates struct {
	// Certificates are the PEM certificates whose keys sign this
	// product's update bundles (the update key, else the Secure Boot db
	// key); empty: every bundle is refused.
	Certificates string `json:"certificates,omitempty"`
	// Channel is the URL of the channel file (package updatechannel)
	// checked every CheckInterval; "": updates come from a PLINTHUPD
	// stick or the local command only.
	Channel       string   `json:"channel,omitempty"`
	CheckInterval Duration `json:"checkInterval,omitempty"`
	// CA is PEM certificates trusted for HTTPS besides the system's.
	CA string `json:"ca,omitempty"`
	// CommitAfter is how long every service must stay healthy before a
	// new version commits (default DefaultCommitAfter); TrialTimeout how
	// long it has to get there (default DefaultTrialTimeout) before the
	// machine goes back to the version before.
	CommitAfter  Duration `json:"commitAfter,omitempty"`
	TrialTimeout Duration `json:"trialTimeout,omitempty"`
}

// Defaults of Updates.
const (
	DefaultCommitAfter   = Duration(60 * time.Second)
	DefaultTrialTimeout  = Duration(10 * time.Minute)
	DefaultCheckInterval = Duration(time.Hour)
)

// User is an account of the runtime image.
type User struct {
	Name string `json:"name"`
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"` // primary group
}

// Group is a group of the runtime image.
type Group struct {
	Name string `json:"name"`
	GID  uint32 `json:"gid"`
}

// DataDir is a directory on the data partition the appliance creates if
// missing and gives this owner and mode at every boot.
type DataDir struct {
	Path string `json:"path"` // absolute, clean, below /data
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"`
	Mode uint32 `json:"mode"` // permission bits as chmod(2) takes them
}

// Restart policies.
const (
	RestartOnFailure = "on-failure" // after a non-zero exit or a signal
	RestartAlways    = "always"     // after any exit
	RestartNever     = "never"      // a one-shot job
)

// Service is one program the appliance runs and supervises.
type Service struct {
	Name string `json:"name"` // unique; names the log file /data/log/<name>.log
	Exec string `json:"exec"` // absolute path in the runtime image, also argv[0]
	// Args follow argv[0]; an argument that is exactly one ${name} of a
	// list setting becomes one argument per item.
	Args    []setting.Template `json:"args,omitempty"`
	Env     []EnvVar           `json:"env,omitempty"` // added to PATH, HOME and the PLINTH_* variables
	User    string             `json:"user"`          // "root" or one of Spec.Users
	UID     uint32             `json:"uid"`
	GID     uint32             `json:"gid"`
	WorkDir string             `json:"workdir"` // current directory; below /data it is a DataDir
	// Capabilities are the Linux capabilities (numbers of
	// include/uapi/linux/capability.h) a service that is not root keeps,
	// as ambient capabilities; it has no others.
	Capabilities []int    `json:"capabilities,omitempty"`
	Restart      string   `json:"restart"` // RestartOnFailure, RestartAlways or RestartNever
	Backoff      Backoff  `json:"backoff"`
	Stop         Stop     `json:"stop"`
	After        []string `json:"after,omitempty"` // services started (and healthy, if checked) before this one
	Health       *Health  `json:"health,omitempty"`
}

// EnvVar is one environment variable of a service.
type EnvVar struct {
	Name  string           `json:"name"`
	Value setting.Template `json:"value"`
}

// Backoff is the delay before a restart: Initial after the first
// failure, doubling per consecutive failure up to Max.
type Backoff struct {
	Initial Duration `json:"initial"`
	Max     Duration `json:"max"`
}

// Stop is how a service is stopped: Signal (a Linux signal number),
// then SIGKILL after Timeout.
type Stop struct {
	Signal  int      `json:"signal"`
	Timeout Duration `json:"timeout"`
}

// Health check kinds.
const (
	HealthHTTP    = "http"    // GET http://127.0.0.1:Port/Path answers Status
	HealthTCP     = "tcp"     // 127.0.0.1:Port accepts a connection
	HealthCommand = "command" // Command exits 0
)

// Health says how the appliance decides a service is healthy.
type Health struct {
	Kind    string             `json:"kind"`
	Port    int                `json:"port,omitempty"`
	Path    string             `json:"path,omitempty"`
	Status  int                `json:"status,omitempty"`
	Command []setting.Template `json:"command,omitempty"` // argv; runs as the service's user
	// Interval is the time between checks, Timeout the most one check
	// may take, StartPeriod the time after a start in which failures do
	// not count, Retries the consecutive failures that make the service
	// unhealthy.
	Interval    Duration `json:"interval"`
	Timeout     Duration `json:"timeout"`
	StartPeriod Duration `json:"startPeriod"`
	Retries     int      `json:"retries"`
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("1s", "1m30s"), as in the installed config.
type Duration = appconfig.Duration
