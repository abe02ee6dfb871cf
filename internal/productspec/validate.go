package productspec

import "fmt"

func (s *Spec) validate() error {
	seen := map[string]bool{}
	for _, svc := range s.Services {
		if svc.Name == "" || seen[svc.Name] {
			return fmt.Errorf("productspec: service name %q empty or used twice", svc.Name)
		}
		seen[svc.Name] = true
	}
	return nil
}
