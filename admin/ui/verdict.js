import {h} from "./dom.js";

// verdictBlock shows the browser's verdict: Chrome's message, the cause,
// the fix and the policy setting that sends it.
export function verdictBlock(v) {
  if (!v) return null;
  if (v.allowed) {
    return h("div", {class: "verdict allowed"}, h("strong", {}, "Allowed"), " — the browser lets the page read the response.",
      v.note ? h("p", {class: "muted note"}, v.note) : null);
  }
  if (!v.message) {
    return h("div", {class: "verdict"}, v.note ? h("p", {class: "note"}, v.note) : null);
  }
  return h("div", {class: "verdict refused"},
    h("p", {}, h("strong", {}, "Blocked"), " ", h("code", {class: "code"}, v.code)),
    h("p", {class: "message"}, v.message),
    v.gateway ? h("p", {}, h("strong", {}, "Gateway: "), h("span", {class: "gateway"}, v.gateway)) : null,
    h("p", {}, h("strong", {}, "Cause: "), h("span", {class: "cause"}, v.cause)),
    h("p", {}, h("strong", {}, "Fix: "), h("span", {class: "fix"}, v.fix)),
    v.config ? h("pre", {class: "config"}, v.config) : null,
    v.note ? h("p", {class: "muted note"}, v.note) : null);
}
