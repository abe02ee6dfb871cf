package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/plinth-os/plinth/internal/answers"
	"github.com/plinth-os/plinth/internal/install"
	"github.com/plinth-os/plinth/internal/installplan"
)

// planMain is "installer --plan [--answers FILE]": it decides what an
// unattended install would do, prints the plan as JSON and writes
// nothing. The answers are FILE, or the embedded or PLINTHCFG ones,
// or, when there are none, "disk: largest" (which the plan then shows
// refused if that disk holds data). It returns the exit status.
func planMain(args []string, r roots, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("installer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	plan := fs.Bool("plan", false, "print the install plan as JSON and write nothing")
	file := fs.String("answers", "", "install.yaml to plan with (default: the embedded or PLINTHCFG one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !*plan || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: installer --plan [--answers FILE]  (without arguments: the installer itself)")
		return 2
	}
	p, err := makePlan(r, *file)
	if err != nil {
		fmt.Fprintf(stderr, "installer: %s: %v\n", errorCode(err), err)
		return 1
	}
	b, err := p.JSON()
	if err != nil {
		fmt.Fprintf(stderr, "installer: %v\n", err)
		return 1
	}
	stdout.Write(append(b, '\n'))
	return 0
}

func makePlan(r roots, file string) (*installplan.Plan, error) {
	var ans *answers.Answers
	var src answersSource
	var err error
	if file != "" {
		data, rerr := os.ReadFile(file)
		if rerr != nil {
			return nil, fmt.Errorf("read answers: %w", rerr)
		}
		ans, err = answers.Parse(data)
	} else {
		ans, src, err = findAnswers(r)
	}
	if err != nil {
		return nil, err
	}
	if ans == nil {
		d := answers.Default()
		d.Disk = answers.Selector{Kind: answers.SelectLargest}
		ans = &d
	}
	m, err := readManifest(r)
	if err != nil {
		return nil, err
	}
	decls, err := readSettings(r.Product)
	if err != nil {
		return nil, err
	}
	settings, err := ans.CheckSettings(decls)
	if err != nil {
		return nil, err
	}
	keys, err := readSecureBootKeys(r.SecureBootKeys)
	if err != nil {
		return nil, err
	}
	env := install.Env{SysRoot: r.Sys, DevRoot: r.Dev, ProcRoot: r.Proc, Vars: r.Vars, Req: m.Requirements(), SecureBootKeys: keys}
	if src.Disk != "" {
		env.Exclude = map[string]string{src.Disk: "holds the answers volume"}
	}
	cands, facts, err := install.Discover(env)
	if err != nil {
		return nil, err
	}
	if err := installplan.CheckMachine(facts, env.Req); err != nil {
		return nil, err
	}
	c, err := installplan.Select(cands, ans.Disk)
	if err != nil {
		return nil, err
	}
	if err := installplan.Confirm(c, ans.Wipe, ""); err != nil {
		return nil, err
	}
	// GUIDs are drawn at install time (env.Seed); without a seed the plan
	// shows those of a fixed one, and is otherwise what the install runs.
	return install.Plan(env, c, install.Request{Answers: ans, Manifest: m, SettingDecls: decls, Settings: settings})
}
