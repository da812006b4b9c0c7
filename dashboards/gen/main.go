// Command gen writes SellerGuard's Grafana dashboards as JSON into a folder
// (by default the current one: run it from dashboards/ with go generate, or
// go -C dashboards run ./gen from the repository root).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sellerguard/sellerguard/dashboards"
)

func main() {
	dir := flag.String("dir", ".", "folder to write the dashboards' JSON into")
	flag.Parse()
	boards, err := dashboards.All()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, b := range boards {
		out, err := b.JSON()
		if err == nil {
			err = os.WriteFile(filepath.Join(*dir, b.File), out, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", filepath.Join(*dir, b.File))
	}
}
