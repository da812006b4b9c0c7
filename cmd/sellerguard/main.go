// Command sellerguard protects online shops from malicious buyers: it reads
// orders, refunds, return parcels and buyer messages from Kafka, flags the
// patterns of professional claimants, and serves and publishes its decisions.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `sellerguard — flags malicious refunds for online shops.

Usage:
  sellerguard run    [flags]            the daemon: Kafka in, Redis state, API and metrics
  sellerguard demo   [flags]            everything in one process, with simulated traffic
  sellerguard check  [flags] REFUND_ID  print one refund's assessment (exit 0 approve, 3 review, 4 block)
  sellerguard sim    [flags]            simulated, labelled traffic to Kafka or files
  sellerguard eval   [flags]            detection quality on a simulated world through the real pipeline
  sellerguard backtest --config FILE    what a candidate configuration would change, on stored facts
  sellerguard help   [COMMAND]

Run 'sellerguard COMMAND --help' for a command's flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return runDaemon(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "eval":
		return runEval(ctx, rest, stdout, stderr)
	case "backtest":
		return runBacktest(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		if len(rest) == 1 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sellerguard: unknown command %q\n\n%s\n", cmd, usage)
		return exitUsage
	}
}
