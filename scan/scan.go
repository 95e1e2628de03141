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
)

// Severities of findings.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Finding is one misconfiguration: the probe the endpoint trusted and what
// its response said.
type Finding struct {
	Class    string `json:"class"`
	Severity string `json:"severity"`
	Origin   string `json:"origin"`
	Evidence string `json:"evidence"`
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
	seen := map[string]bool{}
	addOnce := func(f Finding) {
		key := f.Class + "\x00" + f.Origin
		if f.Class == ClassMissingVary || f.Class == ClassWildcardCredentials || f.Class == ClassInvalidAllowOrigin {
			// A property of the endpoint, not of one probe: once is enough.
			key = f.Class
		}
		if !seen[key] {
			seen[key] = true
			r.Findings = append(r.Findings, f)
		}
	}
	judgeCommon(base, self, varies, addOnce)
	for i, p := range probes {
		a := answers[i]
		if a.err != nil {
			r.Unanswered = append(r.Unanswered, Unanswered{Origin: p.Origin, Error: a.err.Error()})
			continue
		}
		judgeCommon(a, p.Origin, varies, addOnce)
		if len(a.acao) == 1 && a.acao[0] == p.Origin {
			addOnce(Finding{Class: p.Class, Severity: severity(p.Class, a.credentials), Origin: p.Origin, Evidence: a.evidence()})
		}
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return severityRank[a.Severity] - severityRank[b.Severity]
	})
	return r, nil
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
	case len(a.acao) > 1 || strings.ContainsAny(a.acao[0], ", "):
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
	if varies && a.acao[0] == origin && !varyNamesOrigin(a.vary) {
		add(Finding{Class: ClassMissingVary, Severity: Medium, Origin: origin,
			Evidence: a.evidence() + " (a shared cache can serve this answer to another origin)"})
	}
}

func varyNamesOrigin(lines []string) bool {
	for _, l := range lines {
		for _, v := range strings.Split(l, ",") {
			v = strings.TrimSpace(v)
			if strings.EqualFold(v, "Origin") || v == "*" {
				return true
			}
		}
	}
	return false
}

// severity rates a trusted probe: trusting an attacker-controlled origin with
// credentials lets it read users' data; without credentials, only what is
// public anyway to a server-side client, unless the endpoint is reachable
// only from inside a network.
func severity(class string, credentials bool) string {
	switch class {
	case ClassAnySubdomain, ClassHTTPOrigin:
		// The site's own subdomains and its http:// twin: an attacker needs
		// a subdomain takeover or a place on the network first.
		if credentials {
			return Medium
		}
		return Low
	}
	if credentials {
		return High
	}
	return Medium
}
