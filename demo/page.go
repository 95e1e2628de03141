package demo

import (
	"html/template"
	"net/http"
	"strings"
)

// page serves a web page that calls the API through the gateway and shows
// what the browser let it see.
func page(title, origin, api string, allowed bool) http.Handler {
	data := struct {
		Title, Origin, API, Command string
		Allowed                     bool
	}{title, origin, api, checkCommand, allowed}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pageTemplate.Execute(w, data)
	})
}

// checkCommand runs crossgate check as typed where the README's first
// command, go run ./cmd/crossgate demo, was typed: the repository's root.
// An installed crossgate takes the same arguments.
const checkCommand = "go run ./cmd/crossgate check"

// home serves the demo's home page, at the gateway's root: what runs where,
// the policy, and commands to try.
func home(d *Demo) http.Handler {
	data := struct {
		*Demo
		AllowedOrigin, OtherOrigin, Command string
	}{d, strings.TrimSuffix(d.AllowedPage, "/"), strings.TrimSuffix(d.OtherPage, "/"), checkCommand}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = homeTemplate.Execute(w, data)
	})
}

var homeTemplate = template.Must(template.New("home").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Crossgate demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:50rem}pre{background:#f4f4f4;padding:.6rem;overflow-x:auto}</style>
</head>
<body>
<h1>Crossgate demo</h1>
<p>Crossgate, the gateway serving this page, stands in front of a sample API and applies a CORS policy to it.
Two pages on other origins call the API:</p>
<ul>
<li><a href="{{.AllowedPage}}">the allowed page</a> (<code>{{.AllowedOrigin}}</code>): its calls succeed, except the one with a header the policy does not allow;</li>
<li><a href="{{.OtherPage}}">the other page</a> (<code>{{.OtherOrigin}}</code>): the browser blocks its calls.</li>
</ul>
<p>The API: <a href="{{.API}}">{{.API}}</a>. Its policy:</p>
<pre>{{.Policy}}</pre>
<p>The terminal running the demo prints one line for each call, with the gateway's decision and its reason.
In another terminal, in the directory where you started the demo, ask what a browser would do:</p>
<pre>{{.Command}} {{.API}} --origin {{.AllowedOrigin}}
{{.Command}} {{.API}} --origin {{.OtherOrigin}}
{{.Command}} {{.API}} --origin {{.AllowedOrigin}} -X PUT -H 'X-Debug: 1'</pre>
<p>and look for misconfigurations as a scanner would:</p>
<pre>go run ./cmd/crossgate scan {{.API}}</pre>
</body></html>
`))

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}} — Crossgate demo</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:50rem}
td,th{padding:.3rem .6rem;text-align:left;vertical-align:top;border-bottom:1px solid #ddd}
.ok{color:#176f2c}.blocked{color:#b3261e}code{font-size:.9em}
</style></head>
<body>
<h1>{{.Title}}</h1>
<p>This page's origin is <code>{{.Origin}}</code>. It calls <code>{{.API}}</code> through Crossgate,
whose policy {{if .Allowed}}<strong>allows</strong>{{else}}does <strong>not</strong> allow{{end}} this origin.
When the browser blocks a call, its console (DevTools) says why, and so does the command shown
beside it (run it in the directory where you started the demo).</p>
<table id="results"><tr><th>call</th><th>expected</th><th>result</th></tr></table>
<script>
const api = {{.API}};
const pageAllowed = {{.Allowed}};
const command = {{.Command}};
const calls = [
  {id: "simple-get", name: "GET (a simple request, no preflight)", expect: pageAllowed,
   flags: "",
   run: () => fetch(api)},
  {id: "credentialed-put", name: "PUT with cookies, JSON and Authorization (preflighted)", expect: pageAllowed,
   flags: " -X PUT -H 'Content-Type: application/json' -H 'Authorization: Bearer demo' --credentials",
   run: () => fetch(api, {method: "PUT", credentials: "include",
     headers: {"Content-Type": "application/json", "Authorization": "Bearer demo"},
     body: JSON.stringify({name: "Ada"})})},
  {id: "disallowed-header", name: "GET with X-Debug, a header the policy does not allow", expect: false,
   flags: " -H 'X-Debug: 1'",
   run: () => fetch(api, {headers: {"X-Debug": "1"}})},
];
const table = document.getElementById("results");
async function runAll() {
  for (const c of calls) {
    const row = table.insertRow();
    row.id = c.id;
    row.insertCell().textContent = c.name;
    row.insertCell().textContent = c.expect ? "allowed" : "blocked";
    const cell = row.insertCell();
    try {
      const res = await c.run();
      const body = await res.text();
      cell.textContent = "allowed: " + res.status + " " + body.trim() +
        (res.headers.get("X-Request-Id") ? " (X-Request-Id readable)" : "");
      cell.className = "ok";
      row.dataset.result = "allowed";
    } catch (e) {
      cell.textContent = "blocked by the browser: " + e.message + ". Why, and what to change: ";
      const code = document.createElement("code");
      code.textContent = command + " " + api + " --origin " + location.origin + c.flags;
      cell.appendChild(code);
      cell.className = "blocked";
      row.dataset.result = "blocked";
    }
  }
  document.body.dataset.done = "true";
}
runAll();
</script>
</body></html>
`))
