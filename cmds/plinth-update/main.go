// Command plinth-update asks the running appliance to apply an update
// bundle or to check its channel now, through the appliance's control
// socket (package updatectl), and prints what the appliance says:
//
//	plinth-update apply /mnt/stick/acme-db-1.5.0.plinth
//	plinth-update apply https://updates.example.com/acme/acme-db-1.5.0.plinth
//	plinth-update check
//
// A bundle that is applied ends with the appliance rebooting into the new
// version, on trial (see the README's "Updates"). Exit status: 0 done, 1
// refused or failed, 2 usage.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/plinth-os/plinth/internal/updatectl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], updatectl.SocketPath, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, socket string, out, errOut io.Writer) int {
	var req updatectl.Request
	switch {
	case len(args) == 2 && args[0] == "apply":
		req.Apply = args[1]
	case len(args) == 1 && args[0] == "check":
		req.Check = true
	default:
		fmt.Fprintln(errOut, "usage: plinth-update apply FILE|URL\n       plinth-update check")
		return 2
	}
	if err := updatectl.Do(ctx, socket, req, out); err != nil {
		fmt.Fprintf(errOut, "plinth-update: %v\n", err)
		return 1
	}
	return 0
}
