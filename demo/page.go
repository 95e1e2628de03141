package demo

import (
	"html/template"
	"net/http"
)

// page serves a web page that calls the API through the gateway and shows
// what the browser let it see.
func page(title, origin, gatewayURL string, allowed bool) http.Handler {
	data := struct {
		Title, Origin, API string
		Allowed            bool
	}{title, origin, gatewayURL + "/api/users/42", allowed}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pageTemplate.Execute(w, data)
	})
}

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
When the browser blocks a call, its console (DevTools) says why.</p>
<table id="results"><tr><th>call</th><th>expected</th><th>result</th></tr></table>
<script>
const api = {{.API}};
const pageAllowed = {{.Allowed}};
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
      code.textContent = "crossgate check " + api + " --origin " + location.origin + c.flags;
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
