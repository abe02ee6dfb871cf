package productspec

import (
	"errors"
	"fmt"

	"github.com/plinth-os/plinth/internal/setting"
)

// Command is one service's command line, environment and health command
// with one machine's settings substituted.
type Command struct {
	Service string
	Args    []string // after argv[0]
	Env     []string // NAME=value, in the spec's order
	Health  []string // the health check's argv; nil unless its kind is command
}

// Expand checks one machine's settings against s.Settings
// (setting.Validate: every problem a *setting.Error in the joined error)
// and returns every service's command with them substituted, in the
// order of s.Services. An argument that is exactly one ${name} of a list
// setting becomes one argument per item.
func (s *Spec) Expand(values map[string]setting.Value) ([]Command, error) {
	vals, err := setting.Validate(s.Settings, values)
	if err != nil {
		return nil, err
	}
	out := make([]Command, len(s.Services))
	var errs []error
	for i := range s.Services {
		out[i], err = s.Services[i].expand(vals)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (svc *Service) expand(values map[string]setting.Value) (Command, error) {
	c := Command{Service: svc.Name}
	var err error
	if c.Args, err = setting.ExpandArgs(svc.Args, values); err != nil {
		return c, fmt.Errorf("service %q: args: %w", svc.Name, err)
	}
	for _, e := range svc.Env {
		v, err := e.Value.Expand(values)
		if err != nil {
			return c, fmt.Errorf("service %q: env %s: %w", svc.Name, e.Name, err)
		}
		c.Env = append(c.Env, e.Name+"="+v)
	}
	if svc.Health != nil && svc.Health.Kind == HealthCommand {
		if c.Health, err = setting.ExpandArgs(svc.Health.Command, values); err != nil {
			return c, fmt.Errorf("service %q: health command: %w", svc.Name, err)
		}
	}
	return c, nil
}
