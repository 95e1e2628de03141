// Command upstream is the API that every gateway in the benchmark proxies
// to: GET /users/1 answers a small JSON document. It does as little as
// net/http allows, so that the gateways, not the upstream, limit the
// throughput; gateway.sh measures its raw rate first to show it.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
)

// user is the body of GET /users/1, written once and sent as is.
var user = []byte(`{"id":1,"name":"Ada Lovelace","email":"ada@example.com"}` + "\n")

func main() {
	addr := flag.String("listen", "127.0.0.1:18080", "address to listen on")
	flag.Parse()
	length := strconv.Itoa(len(user))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/1", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		w.Write(user)
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}
