package scan

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/crossgate/crossgate/internal/fetch"
)

// Severities of findings.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Finding is one misconfiguration: a class of probes the endpoint trusted,
// what its response to the first of them said, and what to do about it.
// Probes that reveal one cause make one finding: an endpoint that reflects
// every origin trusts the prefix-match and suffix-match probes too, and is
// reported once, as origin-reflection.
type Finding struct {
	Class    string `json:"class"`
	Severity string `json:"severity"`
	// Origin is the first probe that showed the finding, and Evidence its
	// response.
	Origin   string `json:"origin"`
	Evidence string `json:"evidence"`
	// Origins lists every probe that showed it, Origin first.
	Origins []string `json:"origins"`
	// Cause says in plain words what the endpoint does wrong, and Fix what
	// to change.
	Cause string `json:"cause"`
	Fix   string `json:"fix"`
}

// Report is the outcome of a scan.
type Report struct {
	URL      string    `json:"url"`
	Findings []Finding `json:"findings"`
	// Probes is how many origins were sent, the site's own not counted.
	Probes int `json:"probes"`
	// Unanswered lists the probes that got no response. What the endpoint
	// makes of them is unknown, so a report that has some is not clean even
	// without findings.
	Unanswered []Unanswered `json:"unanswered,omitempty"`
}

// Unanswered is a probe that got no response, and why.
type Unanswered struct {
	Origin string `json:"origin"`
	Error  string `json:"error"`
}

// Options configure Scan.
type Options struct {
	// Client sends the probes; http.DefaultClient when nil. Redirects are
	// not followed: the endpoint's own answer is what is judged.
	Client *http.Client
	// Concurrency is how many probes are in flight at once; 4 when zero.
	Concurrency int
}

// Scan sends every probe to target as a GET with that Origin and reports the
// probes the endpoint trusts, plus wildcard-with-credentials, invalid
// Access-Control-Allow-Origin values and missing Vary: Origin (when the
// Access-Control-Allow-Origin value depends on the origin). An error means
// the endpoint could not be scanned at all; a probe that gets no response
// is listed in Report.Unanswered.
func Scan(ctx context.Context, target string, o Options) (*Report, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http or https URL", target)
	}
	// A copy, so that not following redirects changes neither the caller's
	// client nor http.DefaultClient.
	client := &http.Client{}
	if o.Client != nil {
		*client = *o.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	n := o.Concurrency
	if n <= 0 {
		n = 4
	}

	// The site's own origin first: if the endpoint cannot be reached, there
	// is nothing to scan.
	self := u.Scheme + "://" + u.Host
	base, err := probe(ctx, client, target, self)
	if err != nil {
		return nil, err
	}

	probes := Probes(u)
	answers := make([]answer, len(probes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for i, p := range probes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a, err := probe(ctx, client, target, p.Origin)
			a.err = err
			answers[i] = a
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	r := &Report{URL: target, Findings: []Finding{}, Probes: len(probes)}
	// Vary: Origin is due when the answer depends on the origin: when the
	// probes did not all get the same Access-Control-Allow-Origin.
	varies := false
	for _, a := range answers {
		if a.err == nil && !slices.Equal(a.acao, base.acao) {
			varies = true
			break
		}
	}
	var g grouping
	judgeCommon(base, self, varies, g.add)
	for i, p := range probes {
		a := answers[i]
		if a.err != nil {
			r.Unanswered = append(r.Unanswered, Unanswered{Origin: p.Origin, Error: a.err.Error()})
			continue
		}
		judgeCommon(a, p.Origin, varies, g.add)
		if len(a.acao) == 1 && a.acao[0] == p.Origin {
			g.add(Finding{Class: p.Class, Severity: severity(a.credentials, p.Class), Origin: p.Origin, Evidence: a.evidence()})
		}
	}
	r.Findings = g.findings()
	return r, nil
}

// grouping gathers the findings of every probe into one per cause.
type grouping struct {
	byClass map[string]*Finding
	order   []string // classes in the order first found
}

func (g *grouping) add(f Finding) {
	if g.byClass == nil {
		g.byClass = map[string]*Finding{}
	}
	have := g.byClass[f.Class]
	if have == nil {
		e := explanations[f.Class]
		f.Origins, f.Cause, f.Fix = []string{f.Origin}, e.cause, e.fix
		g.byClass[f.Class] = &f
		g.order = append(g.order, f.Class)
		return
	}
	have.merge(f)
}

// merge adds the probes of f to the finding, which takes the higher of
// both severities.
func (have *Finding) merge(f Finding) {
	for _, o := range f.origins() {
		if !slices.Contains(have.Origins, o) {
			have.Origins = append(have.Origins, o)
		}
	}
	if severityRank[f.Severity] < severityRank[have.Severity] {
		have.Severity = f.Severity
	}
}

func (f Finding) origins() []string {
	if f.Origins == nil {
		return []string{f.Origin}
	}
	return f.Origins
}

// reflectionCovers are the classes a reflecting endpoint trusts as a
// matter of course: their probes are more evidence of the one cause.
var reflectionCovers = []string{
	ClassNullOrigin, ClassPrefixMatch, ClassSuffixMatch, ClassSubstringMatch, ClassUnescapedDot,
	ClassAnySubdomain, ClassHTTPOrigin, ClassSpecialCharacters, ClassThirdParty,
}

// findings returns one finding per cause, the most severe first.
func (g *grouping) findings() []Finding {
	reflection := g.byClass[ClassOriginReflection]
	covered := func(class string) bool { return reflection != nil && slices.Contains(reflectionCovers, class) }
	for _, class := range g.order {
		if covered(class) {
			reflection.merge(*g.byClass[class])
		}
	}
	out := []Finding{}
	for _, class := range g.order {
		if !covered(class) {
			out = append(out, *g.byClass[class])
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return severityRank[a.Severity] - severityRank[b.Severity]
	})
	return out
}

var severityRank = map[string]int{High: 0, Medium: 1, Low: 2}

// answer is what one probe's response said about CORS.
type answer struct {
	status      int
	acao        []string
	credentials bool
	acac        string
	vary        []string
	err         error
}

func (a answer) evidence() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d; Access-Control-Allow-Origin: %s", a.status, strings.Join(a.acao, ", "))
	if a.acac != "" {
		fmt.Fprintf(&b, "; Access-Control-Allow-Credentials: %s", a.acac)
	}
	if len(a.vary) > 0 {
		fmt.Fprintf(&b, "; Vary: %s", strings.Join(a.vary, ", "))
	} else {
		b.WriteString("; no Vary")
	}
	return b.String()
}

func probe(ctx context.Context, c *http.Client, target, origin string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Origin", origin)
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return answer{
		status:      resp.StatusCode,
		acao:        resp.Header.Values("Access-Control-Allow-Origin"),
		acac:        resp.Header.Get("Access-Control-Allow-Credentials"),
		credentials: resp.Header.Get("Access-Control-Allow-Credentials") == "true",
		vary:        resp.Header.Values("Vary"),
	}, nil
}

// judgeCommon adds the findings any response can show, whatever its probe.
// varies says that the endpoint's Access-Control-Allow-Origin depends on the
// origin, so that its responses need Vary: Origin.
func judgeCommon(a answer, origin string, varies bool, add func(Finding)) {
	switch {
	case len(a.acao) == 0:
		return
	case len(a.acao) > 1 || strings.ContainsAny(a.acao[0], ", ") && a.acao[0] != origin:
		// A probe echoed as it was sent is the probe's finding.
		add(Finding{Class: ClassInvalidAllowOrigin, Severity: Low, Origin: origin,
			Evidence: a.evidence() + " (browsers accept exactly one value)"})
		return
	case a.acao[0] == "*":
		if a.credentials {
			add(Finding{Class: ClassWildcardCredentials, Severity: Medium, Origin: origin,
				Evidence: a.evidence() + " (browsers refuse this; it usually means the server was meant to reflect origins)"})
		}
		return
	}
	if varies && a.acao[0] == origin && !fetch.VaryNames(a.vary, "Origin") {
		add(Finding{Class: ClassMissingVary, Severity: Medium, Origin: origin,
			Evidence: a.evidence() + " (a shared cache can serve this answer to another origin)"})
	}
}

// severity rates a trusted probe as the README says: high when the origin
// also gets credentials, since it then reads users' data. Without them, a
// page reads only what a server-side client could fetch anyway, unless the
// endpoint is reachable only from inside a network: medium, and low for the
// site's own subdomains and its http:// twin, which an attacker must take
// over (a subdomain) or get on the network path of (plain HTTP) first.
func severity(credentials bool, class string) string {
	switch {
	case credentials:
		return High
	case class == ClassAnySubdomain || class == ClassHTTPOrigin:
		return Low
	}
	return Medium
}
