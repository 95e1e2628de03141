import {h, replace, findingList} from "./dom.js";
import {post, call} from "./api.js";
import {applyFix} from "./apply.js";

// fixable says which one-step fix a refused group has, if any: allow its
// origin, its method or its header in the route's policy.
export function fixable(g) {
  switch (g.reason) {
  case "origin-not-allowed":
    return {field: "allow_origins", value: g.origin, label: "Allow this origin"};
  case "method-not-allowed":
    return {field: "allow_methods", value: g.detail, label: "Allow this method"};
  case "headers-not-allowed":
    return {field: "allow_headers", value: g.detail, label: "Allow this header"};
  }
  return null;
}

// fixPanel prepares the change for group g in panel: the policy's line
// before and after, the lint findings it would add, and either an Apply
// button (cluster mode, admin) or the YAML line to write (file mode).
export async function fixPanel(panel, g, state) {
  const fix = fixable(g);
  const route = state.config.routes.find((r) => r.id === g.route);
  if (!route || !route.policy) {
    replace(panel, h("p", {class: "error"}, "Route " + g.route + " has no CORS policy in the config served now."));
    return;
  }
  replace(panel, h("p", {class: "muted"}, "Preparing the change…"));
  const name = route.policy.replace(/^policies\./, "");
  let p, base;
  try {
    if (state.config.writable) {
      // The policy as the cluster has it now, and its ETag: Apply writes
      // this version changed, or reports that someone changed it since.
      base = await call("GET", "/ui/api/v1/policies/" + encodeURIComponent(name));
    }
    p = await post("/ui/api/propose", {key: route.policy, field: fix.field, value: fix.value});
  } catch (x) {
    replace(panel, h("p", {class: "error"}, x.message));
    return;
  }
  const parts = [
    h("h4", {}, fix.label + " in policy " + name),
    h("pre", {class: "diff"}, h("span", {class: "del"}, "- " + p.before), "\n", h("span", {class: "add"}, "+ " + p.after)),
    p.error ? h("p", {class: "error"}, "The config would be invalid: " + p.error) : null,
    p.new_findings.length ? [h("p", {}, "Lint findings this change adds:"), findingList(p.new_findings)]
      : h("p", {class: "ok"}, "The change adds no lint findings."),
  ];
  const out = h("div", {class: "fix-result"});
  if (state.config.writable) {
    if (state.session.role === "admin") {
      parts.push(h("button", {type: "button", class: "apply", disabled: !!p.error, onclick: async () => {
        replace(out, h("p", {class: "muted"}, "Applying…"));
        replace(out, await applyFix(name, fix.field, fix.value, base));
      }}, "Apply"));
    } else {
      parts.push(h("p", {class: "muted"}, "Your key is a viewer's: an admin key applies the change."));
    }
  } else {
    parts.push(h("p", {class: "file-mode"}, "The config comes from a file: the console does not change it. In ",
      h("code", {}, state.config.file || "the config file"), ", under ", h("code", {}, "policies: " + name + ":"), ", write:"),
    h("pre", {class: "yaml"}, "    " + p.after));
  }
  replace(panel, parts, out);
}
