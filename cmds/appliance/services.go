package main

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/health"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/supervise"
	"golang.org/x/sys/unix"
)

// serviceSpecs turns the product's services, with this machine's
// settings substituted (cmds, in the same order), into supervisor specs.
// previous is the version that ran before this one (PLINTH_PREVIOUS_VERSION).
func serviceSpecs(spec *productspec.Spec, cmds []productspec.Command, p paths, previous string) []supervise.Spec {
	specs := make([]supervise.Spec, len(spec.Services))
	for i, s := range spec.Services {
		dir := p.dataPath(s.WorkDir)
		specs[i] = supervise.Spec{
			Name:           s.Name,
			Path:           s.Exec,
			Args:           cmds[i].Args,
			Env:            serviceEnv(spec, s.Name, dir, cmds[i].Env, p, previous),
			Dir:            dir,
			UID:            s.UID,
			GID:            s.GID,
			Capabilities:   s.Capabilities,
			Restart:        supervise.Restart(s.Restart),
			BackoffInitial: time.Duration(s.Backoff.Initial),
			BackoffMax:     time.Duration(s.Backoff.Max),
			StopSignal:     unix.Signal(s.Stop.Signal),
			StopTimeout:    time.Duration(s.Stop.Timeout),
			After:          s.After,
			Health:         healthCheck(s.Health, cmds[i].Health),
		}
	}
	return specs
}

// serviceEnv is a service's whole environment: PATH, HOME (its
// workdir), the PLINTH_* variables, then its own variables, which may
// replace PATH and HOME.
func serviceEnv(spec *productspec.Spec, name, dir string, own []string, p paths, previous string) []string {
	env := []string{
		"PATH=/bbin",
		"HOME=" + dir,
		"PLINTH_PRODUCT=" + spec.Product,
		"PLINTH_VERSION=" + spec.Version,
		"PLINTH_PREVIOUS_VERSION=" + previous, // "" on a fresh install
		"PLINTH_DATA=" + p.Data,
		"PLINTH_CONFIG=" + p.configPath(),
		"PLINTH_SERVICE=" + name,
	}
	// A program takes the first of two same-named variables: replace
	// PATH and HOME rather than add a second.
	for _, kv := range own {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "PATH":
			env[0] = kv
		case "HOME":
			env[1] = kv
		default:
			env = append(env, kv)
		}
	}
	return env
}

// healthCheck is the supervisor's form of a service's health check;
// argv is its command with the settings substituted.
func healthCheck(h *productspec.Health, argv []string) *health.Check {
	if h == nil {
		return nil
	}
	return &health.Check{
		Kind:        health.Kind(h.Kind),
		Port:        h.Port,
		Path:        h.Path,
		Status:      h.Status,
		Command:     argv,
		Interval:    time.Duration(h.Interval),
		Timeout:     time.Duration(h.Timeout),
		StartPeriod: time.Duration(h.StartPeriod),
		Retries:     h.Retries,
	}
}

// dataPath maps a path of the product (below /data, where the data
// partition is on the target) to where the data partition is mounted.
func (p paths) dataPath(path string) string {
	if rel, ok := strings.CutPrefix(path, productspec.DataRoot+"/"); ok {
		return filepath.Join(p.Data, filepath.FromSlash(rel))
	}
	if path == productspec.DataRoot {
		return p.Data
	}
	return path
}
