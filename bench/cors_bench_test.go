// Package bench_test compares the cost of Crossgate's CORS middleware with the
// Go CORS libraries people use today: rs/cors, go-chi/cors, gorilla/handlers,
// gin-contrib/cors and jub0bs/cors.
//
// Every benchmark is one scenario; its sub-benchmarks, one per library, are
// named lib=<library> so that benchstat can put libraries in columns
// (benchstat -col /lib -row .name). Every library gets the same policy,
// expressed in its own terms, and the same request, built once. The response
// writer only keeps headers, cleared between iterations, and the inner handler
// does nothing, so what is measured is the middleware's own work. Before
// measuring, each sub-benchmark checks once that the library really did what
// the scenario expects of it, so that a misconfigured library cannot win by
// doing nothing.
package bench_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gincors "github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	chicors "github.com/go-chi/cors"
	"github.com/gorilla/handlers"
	jcors "github.com/jub0bs/cors"
	rscors "github.com/rs/cors"

	"github.com/crossgate/crossgate/cors"
)

func init() {
	// Debug mode prints a warning per route and checks more on every request.
	gin.SetMode(gin.ReleaseMode)
}

// The policy every library is given: one origin (or a list, or a subdomain
// pattern), four methods, two request headers, one exposed header,
// credentials, and a preflight max age.
var (
	allowMethods  = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}
	allowHeaders  = []string{"Content-Type", "Authorization"}
	exposeHeaders = []string{"X-Request-Id"}
)

const (
	maxAge        = 2 * time.Hour
	appOrigin     = "https://app.example.com"
	evilOrigin    = "https://evil.example.net"
	subdomains    = "https://*.example.com"
	deepSubdomain = "https://a.b.example.com"
	target        = "http://api.example.com/api"
)

// policy is what varies between scenarios: the allowed origins.
type policy struct {
	origins []string
	// wildcard says that origins hold "https://*.example.com"-style patterns.
	wildcard bool
}

var (
	oneOrigin = policy{origins: []string{appOrigin}}
	wildcard  = policy{origins: []string{subdomains}, wildcard: true}
	// thousandOrigins lists 1,000 exact origins; the request sends the last.
	thousandOrigins = func() policy {
		o := make([]string, 1000)
		for i := range o {
			o[i] = fmt.Sprintf("https://app%03d.example.com", i)
		}
		return policy{origins: o}
	}()
)

// library builds one library's middleware around next, for a policy.
type library struct {
	name  string
	build func(b *testing.B, p policy, next *nextHandler) http.Handler
}

// libraries are the columns of the comparison, Crossgate first as the base.
var libraries = []library{
	{"crossgate", buildCrossgate},
	{"rs-cors", buildRS},
	{"go-chi", buildChi},
	{"gorilla", buildGorilla},
	{"gin-contrib", buildGin},
	{"jub0bs", buildJub0bs},
}

func buildCrossgate(b *testing.B, p policy, next *nextHandler) http.Handler {
	pol, err := cors.New(cors.Config{
		AllowOrigins:     p.origins,
		AllowMethods:     allowMethods,
		AllowHeaders:     allowHeaders,
		ExposeHeaders:    exposeHeaders,
		AllowCredentials: true,
		MaxAge:           maxAge,
	})
	if err != nil {
		b.Fatal(err)
	}
	return pol.Handler(next)
}

func buildRS(_ *testing.B, p policy, next *nextHandler) http.Handler {
	// rs/cors reads "https://*.example.com" as a prefix and a suffix.
	return rscors.New(rscors.Options{
		AllowedOrigins:   p.origins,
		AllowedMethods:   allowMethods,
		AllowedHeaders:   allowHeaders,
		ExposedHeaders:   exposeHeaders,
		AllowCredentials: true,
		MaxAge:           int(maxAge / time.Second),
	}).Handler(next)
}

func buildChi(_ *testing.B, p policy, next *nextHandler) http.Handler {
	// go-chi/cors reads "https://*.example.com" as rs/cors does.
	return chicors.Handler(chicors.Options{
		AllowedOrigins:   p.origins,
		AllowedMethods:   allowMethods,
		AllowedHeaders:   allowHeaders,
		ExposedHeaders:   exposeHeaders,
		AllowCredentials: true,
		MaxAge:           int(maxAge / time.Second),
	})(next)
}

func buildGorilla(_ *testing.B, p policy, next *nextHandler) http.Handler {
	opts := []handlers.CORSOption{
		handlers.AllowedMethods(allowMethods),
		handlers.AllowedHeaders(allowHeaders),
		handlers.ExposedHeaders(exposeHeaders),
		handlers.AllowCredentials(),
		// gorilla caps the max age at 600 s.
		handlers.MaxAge(int(maxAge / time.Second)),
	}
	if p.wildcard {
		// gorilla has no origin patterns; a validator is its way to allow
		// subdomains.
		opts = append(opts, handlers.AllowedOriginValidator(func(o string) bool {
			return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".example.com")
		}))
	} else {
		opts = append(opts, handlers.AllowedOrigins(p.origins))
	}
	return handlers.CORS(opts...)(next)
}

// buildGin runs gin-contrib/cors inside a gin engine, the only way to use
// it, so its figures include the engine's routing and context handling (see
// BenchmarkBaseline/lib=gin-engine).
func buildGin(_ *testing.B, p policy, next *nextHandler) http.Handler {
	e := gin.New()
	e.Use(gincors.New(gincors.Config{
		AllowOrigins:     p.origins,
		AllowWildcard:    p.wildcard,
		AllowMethods:     allowMethods,
		AllowHeaders:     allowHeaders,
		ExposeHeaders:    exposeHeaders,
		AllowCredentials: true,
		MaxAge:           maxAge,
	}))
	e.Any("/api", func(*gin.Context) { next.calls++ })
	return e
}

func buildJub0bs(b *testing.B, p policy, next *nextHandler) http.Handler {
	// jub0bs/cors reads "https://*.example.com" as subdomains at any depth.
	m, err := jcors.NewMiddleware(jcors.Config{
		Origins:         p.origins,
		Credentialed:    true,
		Methods:         allowMethods,
		RequestHeaders:  allowHeaders,
		ResponseHeaders: exposeHeaders,
		MaxAgeInSeconds: int(maxAge / time.Second),
	})
	if err != nil {
		b.Fatal(err)
	}
	return m.Wrap(next)
}

// nextHandler is the handler behind the middleware. It only counts calls,
// so that a scenario can check whether the middleware passed the request on.
type nextHandler struct{ calls int }

func (n *nextHandler) ServeHTTP(http.ResponseWriter, *http.Request) { n.calls++ }

// discardWriter is a ResponseWriter that keeps the headers and status and
// drops the body; reset empties it for the next iteration without
// allocating.
type discardWriter struct {
	h      http.Header
	status int
}

func newDiscardWriter() *discardWriter { return &discardWriter{h: make(http.Header)} }

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.status = 0
}

// outcome is what a scenario expects a library to do with its request.
type outcome struct {
	// acao is the expected Access-Control-Allow-Origin, "" for none.
	acao string
	// acah requires a non-empty Access-Control-Allow-Headers.
	acah bool
	// next says whether the inner handler must run.
	next bool
	// status, when not 0, is the status the response must have.
	status int
}

// scenario is one row of the comparison.
type scenario struct {
	policy policy
	method string
	header map[string]string
	// want is the outcome for Crossgate and for every library not in
	// deviations.
	want outcome
	// deviations records libraries whose documented behaviour differs from
	// want, so that the check still proves they did their work.
	deviations map[string]outcome
}

func (s scenario) request() *http.Request {
	r := httptest.NewRequest(s.method, target, nil)
	for k, v := range s.header {
		r.Header.Set(k, v)
	}
	return r
}

func (s scenario) run(b *testing.B) {
	for _, lib := range libraries {
		b.Run("lib="+lib.name, func(b *testing.B) {
			next := &nextHandler{}
			h := lib.build(b, s.policy, next)
			r := s.request()
			w := newDiscardWriter()

			want, ok := s.deviations[lib.name]
			if !ok {
				want = s.want
			}
			h.ServeHTTP(w, r)
			check(b, w, next.calls > 0, want)

			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, r)
			}
		})
	}
}

func check(b *testing.B, w *discardWriter, nextCalled bool, want outcome) {
	b.Helper()
	if got := w.h.Get("Access-Control-Allow-Origin"); got != want.acao {
		b.Fatalf("Access-Control-Allow-Origin = %q, want %q (headers %v)", got, want.acao, w.h)
	}
	if want.acah && w.h.Get("Access-Control-Allow-Headers") == "" {
		b.Fatalf("no Access-Control-Allow-Headers (headers %v)", w.h)
	}
	if nextCalled != want.next {
		b.Fatalf("inner handler called = %v, want %v", nextCalled, want.next)
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	if want.status != 0 && status != want.status {
		b.Fatalf("status = %d, want %d", status, want.status)
	}
}

// preflight returns the headers of a preflight for PUT from origin, asking
// for acrh.
func preflight(origin, acrh string) map[string]string {
	return map[string]string{
		"Origin":                         origin,
		"Access-Control-Request-Method":  http.MethodPut,
		"Access-Control-Request-Headers": acrh,
	}
}

// BenchmarkActualAllowed is a GET from the allowed origin.
func BenchmarkActualAllowed(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodGet,
		header: map[string]string{"Origin": appOrigin},
		want:   outcome{acao: appOrigin, next: true},
	}.run(b)
}

// BenchmarkActualRefused is a GET from an origin the policy does not list.
func BenchmarkActualRefused(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodGet,
		header: map[string]string{"Origin": evilOrigin},
		want:   outcome{next: true},
		deviations: map[string]outcome{
			// gin-contrib/cors answers 403 itself (gin-contrib/cors#184).
			"gin-contrib": {status: http.StatusForbidden},
		},
	}.run(b)
}

// BenchmarkNoOrigin is a GET without Origin: same-origin or not from a
// browser.
func BenchmarkNoOrigin(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodGet,
		want:   outcome{next: true},
	}.run(b)
}

// BenchmarkPreflightAllowed is a preflight for PUT with two request headers,
// as a browser sends it (lower case, sorted), from the allowed origin.
func BenchmarkPreflightAllowed(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodOptions,
		header: preflight(appOrigin, "authorization,content-type"),
		want:   outcome{acao: appOrigin, acah: true, status: http.StatusNoContent},
		deviations: map[string]outcome{
			// go-chi/cors and gorilla answer preflights with 200.
			"go-chi":  {acao: appOrigin, acah: true, status: http.StatusOK},
			"gorilla": {acao: appOrigin, acah: true, status: http.StatusOK},
		},
	}.run(b)
}

// BenchmarkPreflightRefused is a preflight from an origin the policy does not
// list.
func BenchmarkPreflightRefused(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodOptions,
		header: preflight(evilOrigin, "authorization,content-type"),
		want:   outcome{status: http.StatusForbidden},
		deviations: map[string]outcome{
			// rs/cors uses its success status for refusals too; go-chi/cors
			// and gorilla write no status, which net/http sends as 200.
			"rs-cors": {status: http.StatusNoContent},
			"go-chi":  {status: http.StatusOK},
			"gorilla": {status: http.StatusOK},
		},
	}.run(b)
}

// hostileCommas is one line of the Access-Control-Request-Headers value of
// rs/cors#170, a denial of service fixed in rs/cors v1.11.0: 1,024 empty
// elements.
var hostileCommas = strings.Repeat(",", 1024)

// hostileLong is an Access-Control-Request-Headers value of 1,024 allowed
// names (about 13 KiB): every one is allowed, so a parser without bounds
// reads and echoes all of it.
var hostileLong = strings.TrimSuffix(strings.Repeat("content-type,", 1024), ",")

// BenchmarkPreflightHostileCommas is a preflight from the allowed origin whose
// Access-Control-Request-Headers is 1,024 commas.
func BenchmarkPreflightHostileCommas(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodOptions,
		header: preflight(appOrigin, hostileCommas),
		want:   outcome{status: http.StatusForbidden},
		deviations: map[string]outcome{
			// rs/cors refuses with its success status.
			"rs-cors": {status: http.StatusNoContent},
			// go-chi/cors and gorilla skip empty elements and accept;
			// gin-contrib/cors never reads the header.
			"go-chi":      {acao: appOrigin, status: http.StatusOK},
			"gorilla":     {acao: appOrigin, status: http.StatusOK},
			"gin-contrib": {acao: appOrigin, acah: true, status: http.StatusNoContent},
		},
	}.run(b)
}

// BenchmarkPreflightHostileLong is a preflight from the allowed origin whose
// Access-Control-Request-Headers is 1,024 allowed names.
func BenchmarkPreflightHostileLong(b *testing.B) {
	scenario{
		policy: oneOrigin,
		method: http.MethodOptions,
		header: preflight(appOrigin, hostileLong),
		want:   outcome{status: http.StatusForbidden},
		deviations: map[string]outcome{
			// rs/cors refuses (the names are not unique) with its success
			// status.
			"rs-cors": {status: http.StatusNoContent},
			// go-chi/cors and gorilla accept and echo all 1,024 names;
			// gin-contrib/cors never reads the header.
			"go-chi":      {acao: appOrigin, acah: true, status: http.StatusOK},
			"gorilla":     {acao: appOrigin, acah: true, status: http.StatusOK},
			"gin-contrib": {acao: appOrigin, acah: true, status: http.StatusNoContent},
		},
	}.run(b)
}

// BenchmarkThousandOrigins is a GET from the last of 1,000 allowed exact
// origins.
func BenchmarkThousandOrigins(b *testing.B) {
	last := thousandOrigins.origins[len(thousandOrigins.origins)-1]
	scenario{
		policy: thousandOrigins,
		method: http.MethodGet,
		header: map[string]string{"Origin": last},
		want:   outcome{acao: last, next: true},
	}.run(b)
}

// BenchmarkSubdomainActual is a GET from a two-level subdomain of a
// "https://*.example.com" policy.
func BenchmarkSubdomainActual(b *testing.B) {
	scenario{
		policy: wildcard,
		method: http.MethodGet,
		header: map[string]string{"Origin": deepSubdomain},
		want:   outcome{acao: deepSubdomain, next: true},
	}.run(b)
}

// BenchmarkSubdomainPreflight is a preflight from a two-level subdomain of a
// "https://*.example.com" policy.
func BenchmarkSubdomainPreflight(b *testing.B) {
	scenario{
		policy: wildcard,
		method: http.MethodOptions,
		header: preflight(deepSubdomain, "authorization,content-type"),
		want:   outcome{acao: deepSubdomain, acah: true, status: http.StatusNoContent},
		deviations: map[string]outcome{
			"go-chi":  {acao: deepSubdomain, acah: true, status: http.StatusOK},
			"gorilla": {acao: deepSubdomain, acah: true, status: http.StatusOK},
		},
	}.run(b)
}

// BenchmarkBaseline measures what is not CORS: the inner handler alone
// (lib=net-http) and an allowed GET through a gin engine without middleware
// (lib=gin-engine), the part of every gin-contrib figure that gin itself
// costs.
func BenchmarkBaseline(b *testing.B) {
	r := scenario{method: http.MethodGet, header: map[string]string{"Origin": appOrigin}}.request()
	engine := gin.New()
	engine.Any("/api", func(*gin.Context) {})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"net-http", &nextHandler{}},
		{"gin-engine", engine},
	} {
		b.Run("lib="+c.name, func(b *testing.B) {
			w := newDiscardWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				c.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkVaryFloor measures the least a middleware can spend on a request
// without Origin when it answers with Vary: Origin, as every origin-dependent
// policy must: lib=none writes nothing (gorilla's choice, gorilla/handlers#248),
// lib=shared-slice writes one []string shared by every response (rs/cors's,
// the hazard of rs/cors#198), lib=new-slice allocates a []string per
// response, and lib=slab-slot takes a fresh slot from a slab the way
// Crossgate does. Each checks for Origin first, as the libraries do.
// BenchmarkNoOrigin/lib=crossgate is the same request through the whole
// middleware.
func BenchmarkVaryFloor(b *testing.B) {
	r := scenario{method: http.MethodGet}.request()
	shared := []string{"Origin"}
	var slots slabSlots
	for _, c := range []struct {
		name  string
		write func(h http.Header)
	}{
		{"none", func(http.Header) {}},
		{"shared-slice", func(h http.Header) { h["Vary"] = shared }},
		{"new-slice", func(h http.Header) { h["Vary"] = []string{"Origin"} }},
		{"slab-slot", func(h http.Header) {
			s := slots.take()
			s[0] = "Origin"
			h["Vary"] = s
		}},
	} {
		b.Run("lib="+c.name, func(b *testing.B) {
			w := newDiscardWriter()
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := r.Header["Origin"]; !ok {
					c.write(w.Header())
				}
			})
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				h.ServeHTTP(w, r)
			}
		})
	}
}

// slabSlots hands out one-value []string slots from 4 KiB slabs, each slot
// once, with one atomic add per slot: the allocator behind Crossgate's
// header values, reduced to what BenchmarkVaryFloor needs.
type slabSlots struct{ cur atomic.Pointer[slotSlab] }

type slotSlab struct {
	next atomic.Int64
	vals [255]string
}

func (a *slabSlots) take() []string {
	for {
		s := a.cur.Load()
		if s != nil {
			if end := s.next.Add(1); end <= int64(len(s.vals)) {
				return s.vals[end-1 : end : end]
			}
		}
		a.cur.CompareAndSwap(s, new(slotSlab))
	}
}
