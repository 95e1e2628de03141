// Command rsproxy is the benchmark's baseline gateway as a Go user
// typically writes one: httputil.NewSingleHostReverseProxy wrapped in
// rs/cors, with stock settings everywhere else (the default transport
// included).
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/rs/cors"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:18084", "address to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:18080", "URL of the upstream")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	c := cors.New(cors.Options{
		AllowedOrigins:   []string{"https://app.example.com"},
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE"},
		AllowedHeaders:   []string{"Content-Type", "Authorization"},
		AllowCredentials: true,
		MaxAge:           7200,
	})
	log.Fatal(http.ListenAndServe(*addr, c.Handler(proxy)))
}
