// Command etcd is the upstream etcd server, built from go.etcd.io/etcd/server/v3 at the version
// pinned in go.mod. The server module has no main package of its own, so this one calls its entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
