package main

import (
	"github.com/plinth-os/plinth/internal/datapart"
	"github.com/plinth-os/plinth/internal/netup"
)

type netupRoute = netup.Route

func errDataNotFound() error { return datapart.ErrNotFound }
