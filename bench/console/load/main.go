// Command load sends refused CORS requests to a gateway on loopback at a
// fixed rate, each from one of many origins, while it samples the
// gateway's memory from its /metrics: the memory half of console.sh.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:18091/users/1", "the gateway URL to call (loopback only)")
	metrics := flag.String("metrics", "http://127.0.0.1:18092/metrics", "the gateway's /metrics (loopback only)")
	rate := flag.Int("rate", 2000, "requests per second")
	duration := flag.Duration("duration", 30*time.Second, "how long to send")
	origins := flag.Int("origins", 5000, "distinct refused origins, used in turn")
	flag.Parse()
	for _, u := range []string{*target, *metrics} {
		if !loopback(u) {
			log.Fatalf("load: %s is not a loopback URL", u)
		}
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 5 * time.Second}
	var sent, failed atomic.Int64
	jobs := make(chan int, *rate)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				req, _ := http.NewRequest("GET", *target, nil)
				req.Header.Set("Origin", fmt.Sprintf("https://site-%d.example.net", i%*origins))
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				sent.Add(1)
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	samples := make(chan [2]float64, 64)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				close(samples)
				return
			case <-t.C:
				rss, heap := sample(client, *metrics)
				samples <- [2]float64{rss, heap}
			}
		}
	}()
	start := time.Now()
	go func() {
		// One request every 1/rate s, in batches of 10 ms.
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		n := 0
		for {
			select {
			case <-ctx.Done():
				close(jobs)
				return
			case <-t.C:
				due := int(time.Since(start).Seconds() * float64(*rate))
				for ; n < due; n++ {
					select {
					case jobs <- n:
					default: // the gateway is behind: drop, and count
						failed.Add(1)
					}
				}
			}
		}
	}()
	var first, last [2]float64
	var maxRSS, maxHeap float64
	i := 0
	for s := range samples {
		if i == 0 {
			first = s
		}
		last = s
		maxRSS = max(maxRSS, s[0])
		maxHeap = max(maxHeap, s[1])
		if i%5 == 4 {
			fmt.Printf("t=%2ds  sent %6d  rss %.1f MiB  heap in use %.1f MiB\n", i+1, sent.Load(), s[0]/(1<<20), s[1]/(1<<20))
		}
		i++
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("sent %d refused requests in %.1f s (%.0f/s), %d failed or dropped\n", sent.Load(), el, float64(sent.Load())/el, failed.Load())
	fmt.Printf("gateway RSS: %.1f MiB after 1 s, %.1f MiB at most, %.1f MiB at the end\n", first[0]/(1<<20), maxRSS/(1<<20), last[0]/(1<<20))
	fmt.Printf("gateway Go heap in use: %.1f MiB after 1 s, %.1f MiB at most, %.1f MiB at the end\n", first[1]/(1<<20), maxHeap/(1<<20), last[1]/(1<<20))
}

// sample reads process_resident_memory_bytes and
// go_memstats_heap_inuse_bytes from a Prometheus text page.
func sample(c *http.Client, url string) (rss, heap float64) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			rss, _ = strconv.ParseFloat(v, 64)
		case "go_memstats_heap_inuse_bytes":
			heap, _ = strconv.ParseFloat(v, 64)
		}
	}
	return rss, heap
}

func loopback(u string) bool {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}
