package main

import (
	"maps"
	"slices"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/supervise"
)

// serviceSpecs turns the config's services into supervisor specs. Each
// service gets PATH, HOME, the PLINTH_* variables and its own env (sorted,
// so the environment does not depend on map order).
func serviceSpecs(cfg *appconfig.Config, p paths) []supervise.Spec {
	var specs []supervise.Spec
	for _, s := range cfg.Services {
		env := []string{
			"PATH=/bbin",
			"HOME=/",
			"PLINTH_PRODUCT=" + cfg.Product,
			"PLINTH_VERSION=" + cfg.Version,
			"PLINTH_DATA=" + p.Data,
			"PLINTH_CONFIG=" + p.configPath(),
			"PLINTH_SERVICE=" + s.Name,
		}
		for _, k := range slices.Sorted(maps.Keys(s.Env)) {
			env = append(env, k+"="+s.Env[k])
		}
		t := s.Timing()
		specs = append(specs, supervise.Spec{
			Name:            s.Name,
			Path:            s.Exec,
			Args:            s.Args,
			Env:             env,
			Dir:             p.Data,
			RestartDelay:    t.RestartDelay,
			MaxRestartDelay: t.MaxRestartDelay,
			StableAfter:     t.StableAfter,
			StopTimeout:     t.StopTimeout,
		})
	}
	return specs
}
