// Building the page. Every value is set as text (text nodes, textContent)
// or as an attribute from a fixed list: nothing from a request is ever
// parsed as HTML, so an origin or a header name full of markup shows as
// the characters it is.

const attrs = new Set(["class", "id", "href", "type", "name", "value", "placeholder", "for",
  "title", "colspan", "rows", "checked", "disabled", "selected", "role",
  "viewBox", "width", "height", "x", "y", "fill", "data-id", "data-testid", "aria-label"]);

// h creates an element: h("td", {class: "x"}, "text", child, [more]).
export function h(tag, props, ...children) {
  const svg = tag === "svg" || tag === "rect" || tag === "g" || tag === "line" || tag === "text";
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) {
      el.addEventListener(k.slice(2), v);
    } else if (attrs.has(k)) {
      if (k === "href" && !String(v).startsWith("#")) throw new Error("links stay in the console");
      el.setAttribute(k, v === true ? "" : String(v));
    } else {
      throw new Error("attribute not allowed: " + k);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// replace puts children in place of el's content.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function ago(t) {
  const s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

// findingList shows lint findings.
export function findingList(findings) {
  if (!findings || findings.length === 0) return null;
  return h("ul", {class: "findings"}, findings.map((f) =>
    h("li", {class: "finding " + f.severity},
      h("span", {class: "sev"}, f.severity), " ", h("code", {}, f.rule), " ",
      f.line ? h("span", {class: "muted"}, "line " + f.line + ": ") : null, f.message)));
}
