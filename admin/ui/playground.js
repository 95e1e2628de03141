import {h, replace} from "./dom.js";
import {post} from "./api.js";
import {state} from "./state.js";
import {verdictBlock} from "./verdict.js";

function headerLines(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const i = line.indexOf(":");
    if (i < 0) throw new Error("header line " + JSON.stringify(line) + ": write Name: value");
    out.push({name: line.slice(0, i).trim(), value: line.slice(i + 1).trim()});
  }
  return out;
}

function headerTable(hdr) {
  const rows = [];
  for (const [k, vs] of Object.entries(hdr || {})) for (const v of vs) rows.push(h("tr", {}, h("th", {}, k), h("td", {}, v)));
  if (rows.length === 0) return h("p", {class: "muted"}, "no headers");
  return h("table", {class: "kv headers"}, h("tbody", {}, rows));
}

function exchange(title, ex, step) {
  if (!ex) return null;
  return h("section", {class: "exchange"},
    h("h3", {}, title, " ", h("span", {class: "tag"}, ex.method + " → " + ex.status),
      step ? h("span", {class: "tag " + (step.allowed ? "ok" : "bad")}, step.reason + (step.detail ? ": " + step.detail : "")) : null,
      step && step.status === 0 ? h("span", {class: "muted"}, " (status and body from the upstream)") : null),
    headerTable(ex.headers));
}

export function renderResult(res) {
  const b = res.browser;
  const steps = res.steps || [];
  const pre = steps.find((s) => s.preflight);
  const act = steps.find((s) => !s.preflight);
  const v = {allowed: b.allowed, note: res.note};
  if (b.error) Object.assign(v, {code: b.error.code, message: b.error.message, cause: b.error.cause, fix: b.error.fix, config: b.error.config});
  return h("div", {id: "result"},
    h("p", {}, "Route ", h("code", {class: "route"}, res.route || "none"),
      res.mode ? [", policy ", h("code", {}, res.policy || "inline"), " (", res.mode, " mode)"] : null),
    verdictBlock(v),
    exchange("Preflight", b.preflight, pre),
    exchange("Actual request", b.actual, act),
    b.exposed_headers && b.exposed_headers.length ? h("p", {}, "The page can read: ", b.exposed_headers.join(", ")) : null);
}

export async function playgroundView() {
  const cfg = state.config;
  const origin = h("input", {id: "pg-origin", value: "https://app.example.com", "aria-label": "origin"});
  const method = h("input", {id: "pg-method", value: "GET", "aria-label": "method"});
  const host = h("input", {id: "pg-host", value: cfg.listen, "aria-label": "host"});
  const path = h("input", {id: "pg-path", value: "/", "aria-label": "path"});
  const headers = h("textarea", {id: "pg-headers", rows: 4, placeholder: "Content-Type: application/json\nAuthorization: Bearer …", "aria-label": "headers"});
  const creds = h("input", {type: "checkbox", id: "pg-credentials"});
  const out = h("div", {id: "pg-out"});
  const form = h("form", {id: "playground", onsubmit: async (e) => {
    e.preventDefault();
    replace(out, h("p", {class: "muted"}, "Explaining…"));
    try {
      const res = await post("/ui/api/v1/explain", {origin: origin.value, method: method.value, host: host.value,
        path: path.value, headers: headerLines(headers.value), credentials: creds.checked});
      replace(out, renderResult(res));
    } catch (x) {
      replace(out, h("p", {class: "error", id: "pg-error"}, x.message));
    }
  }},
  h("div", {class: "grid"},
    h("label", {for: "pg-origin"}, "Page origin"), origin,
    h("label", {for: "pg-method"}, "Method"), method,
    h("label", {for: "pg-host"}, "Gateway host"), host,
    h("label", {for: "pg-path"}, "Path"), path,
    h("label", {for: "pg-headers"}, "Headers"), headers,
    h("label", {for: "pg-credentials"}, "Credentials"), h("span", {}, creds, " credentials: \"include\"")),
  h("button", {type: "submit", id: "pg-send"}, "Explain"));
  return h("div", {id: "page-playground"},
    h("h2", {}, "Playground"),
    h("p", {class: "muted"}, "What the gateway answers to a request, and what the browser makes of it. Nothing is sent upstream."),
    form, out);
}
