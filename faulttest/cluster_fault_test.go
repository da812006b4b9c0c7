package faulttest

import (
	"strings"
	"testing"
	"time"

	"github.com/sellerguard/sellerguard/redistest"
)

// The daemon on a three-master Redis Cluster (--redis with three addresses)
// ends in the same assessments, the same keys (spread over the nodes by
// their shop's hash tag), decisions and dead letters as on one Redis.
func TestEndToEndOnRedisCluster(t *testing.T) {
	needDaemon(t)
	w := crashWorkload()
	cleanRun(t, w)
	e := newEnv(t)
	nodes := redistest.StartCluster(t)
	d := e.startDaemon("sg", strings.Join(nodes, ","))
	e.produce(w, 0).wait(t)
	e.waitConsumed(45*time.Second, d)
	e.verify(d, w, nodes, false)
}
