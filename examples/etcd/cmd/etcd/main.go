// Command etcd is etcd's server as the etcd example product ships it:
// etcd's own main, built from this module with the etcd version go.mod
// names, so the appliance runs exactly the release the vendor tested.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
