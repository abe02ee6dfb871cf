// Command plinth-demo is the demo payload service of the Plinth
// appliance: an HTTP server the supervisor runs from the config
// (exec /bbin/plinth-demo).
//
//	GET  /status   JSON: product, version, hostname, uptime (of this
//	               service, seconds: a restart resets it), systemUptime,
//	               pid, data partition usage (statfs of $PLINTH_DATA:
//	               total/free/available bytes) and bootCurrent (the UEFI
//	               BootCurrent entry, e.g. "0003").
//	POST /crash    TEST HOOK: replies 202, then exits with status 2, so an
//	               end-to-end test can check that the supervisor restarts it.
//	POST /reboot, POST /poweroff
//	               TEST HOOKS, only with -power-api: ask the supervisor (our
//	               parent) to reboot (SIGHUP) or power off (SIGTERM).
//
// Every request is logged as one line on stdout, which the supervisor
// puts in /data/log/<service>.log and on the console. SIGTERM shuts the
// server down gracefully (exit 0).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/plinth-os/plinth/internal/efivar"
	"golang.org/x/sys/unix"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// crashStatus is the exit status of POST /crash.
const crashStatus = 2

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plinth-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":80", "listen `address`")
	data := fs.String("data", envOr("PLINTH_DATA", "/data"), "data partition mount `point` to report on")
	efivars := fs.String("efivars", efivar.DefaultEfivarfsDir, "efivarfs `directory` (for BootCurrent)")
	powerAPI := fs.Bool("power-api", false, "enable the POST /reboot and /poweroff test hooks")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "plinth-demo: unexpected arguments %q\n", fs.Args())
		return 2
	}
	crash := make(chan struct{}, 1)
	s := &server{
		product:  os.Getenv("PLINTH_PRODUCT"),
		version:  os.Getenv("PLINTH_VERSION"),
		dataDir:  *data,
		vars:     efivar.NewEfivarfs(*efivars),
		started:  time.Now(),
		hostname: os.Hostname,
		uptime:   systemUptime,
		crash:    func() { crash <- struct{}{} },
		log:      stdout,
	}
	if *powerAPI {
		s.power = func(sig unix.Signal) error { return unix.Kill(os.Getppid(), sig) }
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "plinth-demo: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "plinth-demo %s listening on %s\n", s.version, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT)
	status := 0
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "plinth-demo: %v\n", err)
		return 1
	case sig := <-sigs:
		fmt.Fprintf(stdout, "plinth-demo: %v: shutting down\n", sig)
	case <-crash:
		fmt.Fprintf(stdout, "plinth-demo: crashing on request (exit status %d)\n", crashStatus)
		status = crashStatus
	}
	// Let in-flight replies (the /crash reply among them) reach the client.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "plinth-demo: shutdown: %v\n", err)
	}
	return status
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func systemUptime() float64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return float64(si.Uptime)
}
