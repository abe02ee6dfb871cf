package product

import (
	"errors"
	"fmt"

	"github.com/plinth-os/plinth/internal/setting"
)

// Template is a string that may name settings (package setting).
type Template = setting.Template

// Segment is one part of a Template.
type Segment = setting.Segment

func parseTemplate(s string) (Template, error) { return setting.ParseTemplate(s) }

// Command is a service's command line and environment with settings
// substituted.
type Command struct {
	Service string
	Args    []string // after argv[0]
	Env     []string // NAME=value, in file order
	Health  []string // the health check's argv; nil unless it is a command
}

// Expand substitutes values, every declared setting's (as
// ValidateSettings returns them), into the service's args, env and
// health command.
func (s *Service) Expand(values map[string]Value) (Command, error) {
	c := Command{Service: s.Name}
	var err error
	if c.Args, err = setting.ExpandArgs(s.Args, values); err != nil {
		return c, fmt.Errorf("service %q: args: %w", s.Name, err)
	}
	for _, e := range s.Env {
		v, err := e.Value.Expand(values)
		if err != nil {
			return c, fmt.Errorf("service %q: env %s: %w", s.Name, e.Name, err)
		}
		c.Env = append(c.Env, e.Name+"="+v)
	}
	if s.Health != nil && s.Health.Kind == HealthCommand {
		if c.Health, err = setting.ExpandArgs(s.Health.Command, values); err != nil {
			return c, fmt.Errorf("service %q: health command: %w", s.Name, err)
		}
	}
	return c, nil
}

// Expand checks one machine's settings (see ValidateSettings) and
// returns every service's command with them substituted, in the order
// of Services.
func (p *Product) Expand(given map[string]Value) ([]Command, error) {
	values, err := ValidateSettings(p.Settings, given)
	if err != nil {
		return nil, err
	}
	out := make([]Command, len(p.Services))
	var errs []error
	for i := range p.Services {
		out[i], err = p.Services[i].Expand(values)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
