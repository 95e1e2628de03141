import {h, findingList} from "./dom.js";
import {loadConfig} from "./state.js";

function list(items) {
  if (!items || items.length === 0) return h("span", {class: "muted"}, "—");
  return h("ul", {class: "plain"}, items.map((i) => h("li", {}, h("code", {}, i))));
}

function policyLabel(key) {
  if (!key) return "off";
  if (key.startsWith("policies.")) return key.slice("policies.".length);
  return key + " (inline)";
}

export async function routesView() {
  const cfg = await loadConfig();
  const routes = h("table", {id: "routes-table"},
    h("thead", {}, h("tr", {}, ["Route", "Hosts", "Path", "Methods", "Upstream", "CORS policy", "CSRF"].map((t) => h("th", {}, t)))),
    h("tbody", {}, cfg.routes.map((r) => [
      h("tr", {"data-id": r.id},
        h("td", {}, h("code", {}, r.id)),
        h("td", {}, list(r.hosts)),
        h("td", {}, h("code", {}, r.path || (r.path_prefix + "*"))),
        h("td", {}, list(r.methods && r.methods.length ? r.methods : ["any"])),
        h("td", {}, r.upstream),
        h("td", {}, policyLabel(r.policy)),
        h("td", {}, r.csrf || "—")),
      r.findings.length ? h("tr", {class: "sub"}, h("td", {colspan: 7}, findingList(r.findings))) : null,
    ])));
  const policies = cfg.policies.map((p) =>
    h("section", {class: "policy", "data-id": p.key},
      h("h3", {}, policyLabel(p.key), " ", h("span", {class: "tag"}, p.mode),
        p.allow_credentials ? h("span", {class: "tag"}, "credentials") : null,
        p.enforce_origin ? h("span", {class: "tag"}, "enforce origin") : null),
      h("table", {class: "kv"}, h("tbody", {},
        h("tr", {}, h("th", {}, "Origins"), h("td", {class: "origins"}, list(p.allow_origins))),
        p.allow_origin_regex && p.allow_origin_regex.length ? h("tr", {}, h("th", {}, "Origin regexes"), h("td", {}, list(p.allow_origin_regex))) : null,
        h("tr", {}, h("th", {}, "Methods"), h("td", {}, list(p.allow_methods))),
        h("tr", {}, h("th", {}, "Request headers"), h("td", {}, list(p.allow_headers))),
        h("tr", {}, h("th", {}, "Exposed headers"), h("td", {}, list(p.expose_headers))),
        h("tr", {}, h("th", {}, "Max age"), h("td", {}, p.max_age ? p.max_age + " s" : "browser default")),
        h("tr", {}, h("th", {}, "Used by"), h("td", {class: "used-by"}, list(p.used_by))))),
      findingList(p.findings) || h("p", {class: "ok"}, "No lint findings.")));
  return h("div", {id: "page-routes"},
    h("h2", {}, "Routes & policies"),
    h("p", {class: "muted"}, cfg.file ? "From " + cfg.file + ", revision " + cfg.revision : "Revision " + cfg.revision),
    routes,
    h("h2", {}, "Policies"),
    policies,
    cfg.other_findings.length ? [h("h2", {}, "Other findings"), findingList(cfg.other_findings)] : null);
}
