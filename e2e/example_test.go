package e2e_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/crossgate/crossgate/e2e"
)

// A page on one origin fetches an API on another that sends no CORS headers;
// the browser blocks it and says why.
func Example() {
	b, err := e2e.Launch(context.Background(), e2e.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	page := e2e.NewServer("app.example.test", http.HandlerFunc(e2e.ServePage))
	defer page.Close()
	rec := e2e.NewRecorder(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	api := e2e.NewServer("api.example.test", rec)
	defer api.Close()

	res, err := b.Fetch(context.Background(), page.URL+"/", e2e.FetchRequest{URL: api.URL + "/items"})
	if err != nil {
		fmt.Println(err)
		return
	}
	msg, _ := res.Blocked()
	fmt.Println(res.Error)     // TypeError: Failed to fetch
	fmt.Println(res.CorsError) // MissingAllowOriginHeader
	fmt.Println(msg.Text)      // Access to fetch at '...' from origin '...' has been blocked by CORS policy: ...
	fmt.Println(rec.Count("GET", "/items"))
}
