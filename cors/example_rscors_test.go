package cors_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/crossgate/crossgate/cors"
)

// users is the application: it knows nothing about CORS.
func users() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "42")
		fmt.Fprintf(w, "{\"id\": %q}\n", r.PathValue("id"))
	})
	return mux
}

// The program of the README's "Coming from rs/cors" section, with each
// rs/cors option beside the field that replaces it. A server would end with
// http.ListenAndServe(addr, handler); the example sends it a request
// instead.
func Example_comingFromRSCors() {
	p, err := cors.New(cors.Config{
		AllowOrigins:     []string{"https://app.example.com", "https://*.example.com"}, // AllowedOrigins
		AllowMethods:     []string{"GET", "POST", "PUT", "DELETE"},                     // AllowedMethods
		AllowHeaders:     []string{"Content-Type", "Authorization"},                    // AllowedHeaders
		ExposeHeaders:    []string{"X-Request-Id"},                                     // ExposedHeaders
		AllowCredentials: true,                                                         // AllowCredentials
		MaxAge:           2 * time.Hour,                                                // MaxAge: 7200
	})
	if err != nil {
		for _, e := range cors.ConfigErrors(err) { // every problem at once
			log.Print(e)
		}
		log.Fatal("invalid CORS config")
	}
	handler := p.Handler(users()) // c.Handler(mux)

	r := httptest.NewRequest("OPTIONS", "https://api.example.com/users/1", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code)
	printHeader(w.Header())

	// rs/cors's MaxAge counts seconds; a time.Duration counts nanoseconds.
	_, err = cors.New(cors.Config{AllowOrigins: []string{"https://app.example.com"}, MaxAge: 7200})
	fmt.Println(err)
	// Output:
	// 204
	// Access-Control-Allow-Credentials: true
	// Access-Control-Allow-Headers: Content-Type, Authorization
	// Access-Control-Allow-Methods: GET, POST, PUT, DELETE
	// Access-Control-Allow-Origin: https://app.example.com
	// Access-Control-Expose-Headers: X-Request-Id
	// Access-Control-Max-Age: 7200
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// cors: MaxAge "7.2µs": is under a second: a time.Duration counts nanoseconds, so 7200 means 7.2µs; write 7200 * time.Second
}
