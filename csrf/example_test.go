package csrf_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/crossgate/crossgate/csrf"
)

func ExampleProtection_Handler() {
	p, err := csrf.New(csrf.Config{
		Mode: csrf.FetchMetadata,
		// The route's CORS policy decides which other origins are trusted.
		TrustedOrigin: func(origin string) bool { return origin == "https://app.example.com" },
		ExemptPaths:   []string{"/webhooks/"},
	})
	if err != nil {
		panic(err)
	}
	api := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))

	for _, origin := range []string{"https://app.example.com", "https://evil.example"} {
		r := httptest.NewRequest("POST", "https://api.example.com/orders", nil)
		r.Header.Set("Sec-Fetch-Site", "same-site")
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 ok
	// 403 {"error":"csrf","reason":"same-site-untrusted"}
}
