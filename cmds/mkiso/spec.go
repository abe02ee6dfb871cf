package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/initramfs"
	"github.com/plinth-os/plinth/internal/product"
	"github.com/plinth-os/plinth/internal/productspec"
	"github.com/plinth-os/plinth/internal/setting"
)

// firstID is the first UID and GID given to the product's users and
// groups: below it are the IDs Linux distributions keep for the system.
const firstID = 1000

// accounts numbers the product's users and groups in the order plinth.yaml
// names them, so the same file always gives the same IDs.
type accounts struct {
	users  []productspec.User
	groups []productspec.Group
}

func (a *accounts) gid(name string) uint32 {
	if name == "root" {
		return 0
	}
	for _, g := range a.groups {
		if g.Name == name {
			return g.GID
		}
	}
	g := productspec.Group{Name: name, GID: uint32(firstID + len(a.groups))}
	a.groups = append(a.groups, g)
	return g.GID
}

func (a *accounts) uid(name, group string) uint32 {
	if name == "root" {
		return 0
	}
	for _, u := range a.users {
		if u.Name == name {
			return u.UID
		}
	}
	u := productspec.User{Name: name, UID: uint32(firstID + len(a.users)), GID: a.gid(group)}
	a.users = append(a.users, u)
	return u.UID
}

// productSpec compiles plinth.yaml into what the runtime image carries.
// Without plinth.yaml the -payload services run as root in /data, as
// they always have.
func productSpec(cfg config) (productspec.Spec, error) {
	spec := productspec.Spec{Schema: productspec.SchemaVersion, Product: cfg.Product, Version: cfg.Version, Updates: updatesSpec(cfg)}
	p := cfg.ProductFile
	if p == nil || cfg.payloadsFromFlag {
		spec.Services = legacyServices(cfg.payloads)
		spec.DataDirs = []productspec.DataDir{}
		return spec, nil
	}
	var acc accounts
	spec.Settings = p.Settings
	for _, s := range startOrder(p.Services) {
		spec.Services = append(spec.Services, serviceSpec(s, &acc))
	}
	for _, d := range p.DataDirs {
		spec.DataDirs = append(spec.DataDirs, productspec.DataDir{Path: d.Path, UID: acc.uid(d.Owner.User, d.Owner.Group), GID: acc.gid(d.Owner.Group), Mode: uint32(d.Mode)})
	}
	for _, s := range spec.Services {
		if under(s.WorkDir, product.DataMount) && !slices.ContainsFunc(spec.DataDirs, func(d productspec.DataDir) bool { return d.Path == s.WorkDir }) {
			spec.DataDirs = append(spec.DataDirs, productspec.DataDir{Path: s.WorkDir, UID: s.UID, GID: s.GID, Mode: 0o750})
		}
	}
	spec.Users, spec.Groups = acc.users, acc.groups
	return spec, nil
}

func under(p, dir string) bool { return strings.HasPrefix(p, dir+"/") }

// startOrder sorts services so that each comes after those it names in
// after:, keeping plinth.yaml's order otherwise (the parser has already
// refused cycles).
func startOrder(in []product.Service) []product.Service {
	var out []product.Service
	placed := map[string]bool{}
	for len(out) < len(in) {
		for _, s := range in {
			if !placed[s.Name] && !slices.ContainsFunc(s.After, func(n string) bool { return !placed[n] }) {
				out, placed[s.Name] = append(out, s), true
				break
			}
		}
	}
	return out
}

func serviceSpec(s product.Service, acc *accounts) productspec.Service {
	out := productspec.Service{
		Name: s.Name, Exec: payloadPath(s.Name), Args: s.Args,
		User: s.User, UID: acc.uid(s.User, s.Group), GID: acc.gid(s.Group),
		WorkDir: s.WorkDir, Restart: s.Restart.String(), After: s.After,
		Backoff: productspec.Backoff{Initial: productspec.Duration(s.Backoff.Initial), Max: productspec.Duration(s.Backoff.Max)},
		Stop:    productspec.Stop{Signal: int(s.Stop.Signal), Timeout: productspec.Duration(s.Stop.Timeout)},
	}
	for _, e := range s.Env {
		out.Env = append(out.Env, productspec.EnvVar{Name: e.Name, Value: e.Value})
	}
	for _, c := range s.Capabilities {
		out.Capabilities = append(out.Capabilities, int(c))
	}
	if h := s.Health; h != nil {
		out.Health = &productspec.Health{
			Kind: h.Kind.String(), Port: h.Port, Path: h.Path, Status: h.Status, Command: h.Command,
			Interval: productspec.Duration(h.Interval), Timeout: productspec.Duration(h.Timeout),
			StartPeriod: productspec.Duration(h.StartPeriod), Retries: h.Retries,
		}
	}
	return out
}

// payloadPath is where a service's own binary is in the runtime image.
func payloadPath(name string) string { return "/payload/" + name }

// legacyServices are the -payload services: root, in /data, restarted
// on failure.
func legacyServices(payloads []payload) []productspec.Service {
	var out []productspec.Service
	for _, p := range payloads {
		s := productspec.Service{
			Name: p.Name, Exec: "/bbin/" + p.Name, User: "root", WorkDir: product.DataMount,
			Restart: productspec.RestartOnFailure,
			Backoff: productspec.Backoff{Initial: productspec.Duration(time.Second), Max: productspec.Duration(time.Minute)},
			Stop:    productspec.Stop{Signal: int(syscall.SIGTERM), Timeout: productspec.Duration(10 * time.Second)},
		}
		if p.GoPkg == "" {
			s.Exec = payloadPath(p.Name)
		}
		if p.GoPkg == demoPayload {
			s.Args = []setting.Template{{{Text: "-addr"}}, {{Text: ":80"}}}
			// Healthy when it answers, not after a fixed time up.
			s.Health = &productspec.Health{Kind: productspec.HealthHTTP, Port: 80, Path: "/status", Status: http.StatusOK,
				Interval: productspec.Duration(product.DefaultHealthInterval), Timeout: productspec.Duration(product.DefaultHealthTimeout),
				Retries: product.DefaultHealthRetries}
		}
		out = append(out, s)
	}
	return out
}

// accountFiles are /etc/passwd and /etc/group of the runtime image:
// root and the product's accounts, for tools that look names up.
func accountFiles(spec productspec.Spec) map[string][]byte {
	var passwd, group strings.Builder
	passwd.WriteString("root:x:0:0:root:/:/bbin/init\n")
	group.WriteString("root:x:0:\n")
	for _, u := range spec.Users {
		fmt.Fprintf(&passwd, "%s:x:%d:%d:%s service:%s:/nonexistent\n", u.Name, u.UID, u.GID, u.Name, home(spec, u.Name))
	}
	for _, g := range spec.Groups {
		fmt.Fprintf(&group, "%s:x:%d:\n", g.Name, g.GID)
	}
	return map[string][]byte{"/etc/passwd": []byte(passwd.String()), "/etc/group": []byte(group.String())}
}

// home is the workdir of the user's first service.
func home(spec productspec.Spec, user string) string {
	for _, s := range spec.Services {
		if s.User == user {
			return s.WorkDir
		}
	}
	return "/"
}

// productFiles are plinth.yaml's files: with their modes and owners.
func productFiles(cfg config, spec productspec.Spec, read func(string) ([]byte, error)) (map[string][]byte, map[string]initramfs.FileMeta, error) {
	files, owners := map[string][]byte{}, map[string]initramfs.FileMeta{}
	if cfg.ProductFile == nil {
		return files, owners, nil
	}
	acc := accounts{users: spec.Users, groups: spec.Groups}
	for i, f := range cfg.ProductFile.Files {
		data, err := read(f.From)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: files[%d].from: %w", product.FileName, i, err)
		}
		files[f.Path] = data
		owners[f.Path] = initramfs.FileMeta{Perm: uint32(f.Mode), UID: acc.uid(f.Owner.User, f.Owner.Group), GID: acc.gid(f.Owner.Group)}
	}
	return files, owners, nil
}
