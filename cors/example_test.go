package cors_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// printHeader prints h one field per line, in name order.
func printHeader(h http.Header) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range h[name] {
			fmt.Printf("%s: %s\n", name, v)
		}
	}
}

func ExampleNew() {
	p, err := cors.New(cors.Config{
		AllowOrigins:     []string{"https://app.example.com", "https://*.example.com"},
		AllowMethods:     []string{"GET", "POST", "PUT", "DELETE"},
		AllowHeaders:     []string{"Content-Type", "Authorization"},
		ExposeHeaders:    []string{"X-Request-Id"},
		AllowCredentials: true,
		MaxAge:           2 * time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "42")
		fmt.Fprintln(w, "[]")
	})
	// handler is what a server serves: http.ListenAndServe(addr, handler).
	handler := p.Handler(mux)

	r := httptest.NewRequest("GET", "https://api.example.com/users", nil)
	r.Header.Set("Origin", "https://app.example.com")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code)
	printHeader(w.Header())

	// An invalid config is refused with every problem at once.
	_, err = cors.New(cors.Config{
		AllowOrigins:     []string{"*"},
		AllowMethods:     []string{"GET", "TRACE"},
		AllowCredentials: true,
		MaxAge:           48 * time.Hour,
	})
	for _, e := range cors.ConfigErrors(err) {
		fmt.Printf("%s[%d] %q\n", e.Field, e.Index, e.Value)
	}
	// Output:
	// 200
	// Access-Control-Allow-Credentials: true
	// Access-Control-Allow-Origin: https://app.example.com
	// Access-Control-Expose-Headers: X-Request-Id
	// Content-Type: text/plain; charset=utf-8
	// Vary: Origin
	// X-Request-Id: 42
	// AllowOrigins[0] "*"
	// AllowMethods[1] "TRACE"
	// MaxAge[-1] "48h0m0s"
}

func ExamplePolicy_Decide() {
	p, err := cors.New(cors.Config{
		AllowOrigins: []string{"https://app.example.com"},
		AllowMethods: []string{"PUT"},
		AllowHeaders: []string{"Content-Type"},
		MaxAge:       time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, headers := range []string{"content-type", "content-type,x-debug"} {
		r := httptest.NewRequest("OPTIONS", "https://api.example.com/users/7", nil)
		r.Header.Set("Origin", "https://app.example.com")
		r.Header.Set("Access-Control-Request-Method", "PUT")
		r.Header.Set("Access-Control-Request-Headers", headers)

		d := p.Decide(r)
		fmt.Printf("kind=%v allowed=%v reason=%v status=%d detail=%q\n", d.Kind, d.Allowed, d.Reason, d.Status, d.Detail)
		printHeader(d.Header())
	}
	// Output:
	// kind=preflight allowed=true reason=allowed status=204 detail=""
	// Access-Control-Allow-Headers: Content-Type
	// Access-Control-Allow-Methods: PUT
	// Access-Control-Allow-Origin: https://app.example.com
	// Access-Control-Max-Age: 3600
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// kind=preflight allowed=false reason=headers-not-allowed status=403 detail="x-debug"
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
}

func ExamplePolicy_Reconfigure() {
	p, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest("GET", "https://api.example.com/", nil)
	r.Header.Set("Origin", "https://admin.example.com")
	d := p.Decide(r)
	fmt.Println("before:", d.Reason)

	// Requests that start after Reconfigure returns see the new policy.
	err = p.Reconfigure(cors.Config{AllowOrigins: []string{"https://app.example.com", "https://admin.example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	d = p.Decide(r)
	fmt.Println("after:", d.Reason)

	// An invalid config is refused and the policy in force stays.
	err = p.Reconfigure(cors.Config{AllowOrigins: []string{"https://admin.example.com/"}})
	fmt.Println("refused:", len(cors.ConfigErrors(err)), "error")
	d = p.Decide(r)
	fmt.Println("still:", d.Reason, p.Config().AllowOrigins)
	// Output:
	// before: origin-not-allowed
	// after: allowed
	// refused: 1 error
	// still: allowed [https://app.example.com https://admin.example.com]
}
