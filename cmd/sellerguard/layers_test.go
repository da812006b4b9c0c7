package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Dependencies point inward: rules and event are pure logic, detector works
// through its own interfaces, and only ingest and store touch Kafka and Redis.
func TestDependenciesPointInward(t *testing.T) {
	const (
		mod     = "github.com/sellerguard/sellerguard/"
		kafkaGo = "github.com/segmentio/kafka-go"
		goRedis = "github.com/redis/go-redis/v9"
		prom    = "github.com/prometheus/client_golang"
	)
	for _, tc := range []struct {
		pkg string
		// anywhere among its dependencies
		deps []string
		// imported by the package itself (the Prometheus client brings
		// net/http along, so that one is checked here)
		direct []string
	}{
		{"event", []string{kafkaGo, goRedis, prom, mod + "rules", mod + "detector", mod + "store"}, []string{"net/http"}},
		{"rules", []string{kafkaGo, goRedis, prom, mod + "detector", mod + "store"}, []string{"net/http"}},
		{"detector", []string{kafkaGo, goRedis, mod + "store", mod + "ingest", mod + "api"}, []string{"net/http"}},
		{"store", []string{kafkaGo, mod + "ingest", mod + "api"}, []string{"net/http"}},
		{"ingest", []string{goRedis, mod + "store", mod + "detector", mod + "rules"}, []string{"net/http"}},
		{"api", []string{kafkaGo, goRedis, mod + "store", mod + "ingest"}, nil},
		{"offender", []string{kafkaGo, goRedis, mod + "store", mod + "detector", mod + "ingest", mod + "api"}, []string{"net/http"}},
		{"sim", []string{kafkaGo, goRedis, prom}, []string{"net/http"}},
		{"review", []string{kafkaGo, goRedis, prom, mod + "event", mod + "rules", mod + "detector", mod + "store", mod + "api"}, []string{"net/http"}},
	} {
		deps := goList(t, "{{.ImportPath}}", "-deps", mod+tc.pkg)
		for _, f := range tc.deps {
			if slices.ContainsFunc(deps, func(d string) bool { return d == f || strings.HasPrefix(d, f+"/") }) {
				t.Errorf("%s depends on %s", tc.pkg, f)
			}
		}
		direct := goList(t, `{{join .Imports "\n"}}`, mod+tc.pkg)
		for _, f := range tc.direct {
			if slices.Contains(direct, f) {
				t.Errorf("%s imports %s", tc.pkg, f)
			}
		}
	}
}

func goList(t *testing.T, format string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", format}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, out)
	}
	return strings.Fields(string(out))
}
