// Command coredns is CoreDNS, built from github.com/coredns/coredns at the version pinned in go.mod,
// with only the plugins a test cluster needs: no cloud back ends and no `forward`, so nothing can
// resolve outside the cluster. Plugins run in the order of CoreDNS's own plugin.cfg, whatever the
// order of these imports.
package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
