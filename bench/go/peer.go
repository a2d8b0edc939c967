// Go's golang.org/x/oauth2 clientcredentials (a ReuseTokenSource) against
// the same simulator: ns per cached Token() with 1, 2 and 8 goroutines, and
// a 32-goroutine stampede on a cold source. Built offline from Debian's
// packages (GO111MODULE=off GOPATH=/usr/share/gocode).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func requests(sim string) int {
	r, err := http.Get(sim + "/sim/stats")
	if err != nil {
		return -1
	}
	defer r.Body.Close()
	var s map[string]interface{}
	json.NewDecoder(r.Body).Decode(&s)
	return int(s["token_requests"].(float64))
}

func source() oauth2.TokenSource {
	cfg := clientcredentials.Config{ClientID: "big", ClientSecret: "big-secret",
		TokenURL: os.Getenv("OAUTH2CC_TOKEN_URL"), AuthStyle: oauth2.AuthStyleInHeader}
	return cfg.TokenSource(context.Background())
}

func main() {
	sim := os.Getenv("OAUTH2CC_SIM_URL")
	const calls = 1000000
	ts := source()
	tok, err := ts.Token()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, g := range []int{1, 2, 8} {
		var ns, mops []float64
		for r := 0; r < 7; r++ {
			var wg sync.WaitGroup
			start := time.Now()
			for i := 0; i < g; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < calls; j++ {
						ts.Token()
					}
				}()
			}
			wg.Wait()
			el := time.Since(start).Seconds()
			ns = append(ns, el*1e9/calls)
			mops = append(mops, float64(calls*g)/el/1e6)
		}
		sort.Float64s(ns)
		sort.Float64s(mops)
		fmt.Printf("{\"bench\":\"go_cached\",\"threads\":%d,\"token_bytes\":%d,\"median_ns_per_call\":%.1f,\"median_mcalls_per_s\":%.2f,\"runs\":7}\n",
			g, len(tok.AccessToken), ns[3], mops[3])
	}
	// Stampede on a cold source, 200 ms delay at the endpoint.
	http.Post(sim+"/sim/faults", "application/json", strings.NewReader(`{"kind":"delay","ms":200}`))
	before := requests(sim)
	cold := source()
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); <-startGate; cold.Token() }()
	}
	close(startGate)
	wg.Wait()
	fmt.Printf("{\"bench\":\"stampede\",\"lib\":\"Go x/oauth2 ReuseTokenSource\",\"phase\":\"cold\",\"token_requests\":%d}\n", requests(sim)-before)
}
