import {h, replace, ago} from "./dom.js";
import {verdictBlock} from "./verdict.js";
import {fixPanel, fixable} from "./fix.js";

const maxEntries = 100;
const chartSeconds = 300;

// DecisionsView keeps the live decisions from the server's event stream and
// draws them: a chart of allowed and refused per second, the groups with
// the browser's verdict, and the newest decisions.
export class DecisionsView {
  constructor(state) {
    this.state = state;
    this.groups = new Map();
    this.entries = [];
    this.rates = new Map();
    this.overflow = 0;
    this.open = new Set();
    this.connected = false;
    this.build();
  }

  // listen opens the event stream, the first time the view is shown: a
  // tab on another view holds no connection to the admin listener, of
  // the six a browser keeps to one host over HTTP/1.1.
  listen() {
    if (this.source) return;
    this.source = new EventSource("/ui/api/events");
    this.source.addEventListener("decisions", (e) => this.receive(JSON.parse(e.data)));
    this.source.addEventListener("open", () => { this.connected = true; this.status(); });
    this.source.addEventListener("error", () => { this.connected = false; this.status(); });
  }

  receive(ev) {
    for (const g of ev.groups) this.groups.set(g.id, g);
    for (const u of ev.updates) {
      const g = this.groups.get(u.id);
      if (g) Object.assign(g, {count: u.count, last: u.last});
    }
    for (const e of ev.entries) this.entries.push(e);
    if (this.entries.length > maxEntries) this.entries.splice(0, this.entries.length - maxEntries);
    for (const r of ev.rates) this.rates.set(r.t, r);
    const last = ev.rates.length ? ev.rates[ev.rates.length - 1].t : 0;
    for (const t of this.rates.keys()) if (t <= last - chartSeconds) this.rates.delete(t);
    this.overflow = ev.overflow;
    this.seq = ev.seq;
    this.update();
  }

  build() {
    this.routeFilter = h("select", {id: "f-route", "aria-label": "route", onchange: () => this.update()},
      h("option", {value: ""}, "all routes"),
      this.state.config.routes.map((r) => h("option", {value: r.id}, r.id)));
    this.originFilter = h("input", {id: "f-origin", placeholder: "origin contains…", "aria-label": "origin", oninput: () => this.update()});
    this.resultFilter = h("select", {id: "f-result", "aria-label": "result", onchange: () => this.update()},
      h("option", {value: ""}, "allowed and refused"), h("option", {value: "refused"}, "refused"), h("option", {value: "allowed"}, "allowed"));
    this.statusEl = h("span", {id: "stream-status", class: "muted"});
    this.chart = h("div", {id: "chart"});
    this.groupsEl = h("div", {id: "groups"});
    this.entriesEl = h("div", {id: "entries"});
    this.root = h("div", {id: "page-decisions"},
      h("h2", {}, "Decisions ", this.statusEl),
      h("div", {class: "filters"}, this.routeFilter, this.originFilter, this.resultFilter),
      this.chart,
      h("h3", {}, "Grouped by route, origin and reason"),
      this.groupsEl,
      h("h3", {}, "Newest decisions"),
      this.entriesEl);
    this.update();
  }

  render() {
    this.listen();
    return this.root;
  }

  status() {
    replace(this.statusEl, this.connected ? "live" : "reconnecting…");
    this.statusEl.classList.toggle("live", this.connected);
  }

  match(x) {
    const route = this.routeFilter.value, origin = this.originFilter.value, result = this.resultFilter.value;
    if (route && x.route !== route) return false;
    if (origin && !x.origin.includes(origin)) return false;
    if (result === "allowed" && !x.allowed) return false;
    if (result === "refused" && x.allowed) return false;
    return true;
  }

  update() {
    this.status();
    this.drawChart();
    this.drawGroups();
    this.drawEntries();
  }

  drawChart() {
    const w = 600, ht = 100, bw = w / chartSeconds;
    const now = Math.max(0, ...this.rates.keys());
    let max = 1;
    for (const r of this.rates.values()) max = Math.max(max, r.allowed + r.refused);
    const bars = [];
    let allowed = 0, refused = 0;
    for (let i = 0; i < chartSeconds; i++) {
      const r = this.rates.get(now - chartSeconds + 1 + i);
      if (!r) continue;
      allowed += r.allowed;
      refused += r.refused;
      const ha = r.allowed / max * ht, hr = r.refused / max * ht;
      if (ha > 0) bars.push(h("rect", {class: "allowed", x: i * bw, y: ht - ha, width: bw, height: ha}));
      if (hr > 0) bars.push(h("rect", {class: "refused", x: i * bw, y: ht - ha - hr, width: bw, height: hr}));
    }
    replace(this.chart,
      h("svg", {viewBox: "0 0 " + w + " " + ht, width: "100%", height: 120, role: "img", "aria-label": "decisions per second"},
        h("rect", {class: "frame", x: 0, y: 0, width: w, height: ht}), bars),
      h("p", {class: "legend"}, h("span", {class: "swatch allowed"}), " allowed ", h("span", {id: "count-allowed"}, String(allowed)),
        "  ", h("span", {class: "swatch refused"}), " refused ", h("span", {id: "count-refused"}, String(refused)),
        " in the last 5 minutes; peak " + max + "/s",
        this.overflow ? h("span", {class: "warn"}, " — " + this.overflow + " decisions found the group table full") : null));
  }

  drawGroups() {
    const groups = [...this.groups.values()].filter((g) => this.match(g))
      .sort((a, b) => (a.allowed - b.allowed) || (new Date(b.last) - new Date(a.last)));
    if (groups.length === 0) {
      replace(this.groupsEl, h("p", {class: "muted", id: "no-groups"}, "No CORS decisions yet. Requests with an Origin header show up here within a second."));
      this.tbody = null;
      return;
    }
    if (!this.tbody) {
      this.tbody = h("tbody", {});
      this.rows = new Map();
      replace(this.groupsEl, h("table", {id: "groups-table"},
        h("thead", {}, h("tr", {}, ["Count", "Result", "Route", "Origin", "Reason", "Last"].map((t) => h("th", {}, t)))),
        this.tbody));
    }
    // Rows are kept by group, so that an open fix panel survives updates:
    // a known group only gets its count and time changed.
    const shown = new Set();
    for (const g of groups) {
      let r = this.rows.get(g.id);
      if (!r) {
        r = this.groupRows(g);
        this.rows.set(g.id, r);
      }
      replace(r.count, String(g.count));
      replace(r.last, ago(g.last));
      r.sub.classList.toggle("hidden", g.allowed && !this.open.has(g.id));
      this.tbody.appendChild(r.tr);
      this.tbody.appendChild(r.sub);
      shown.add(g.id);
    }
    for (const [id, r] of this.rows) {
      if (!shown.has(id)) {
        r.tr.remove();
        r.sub.remove();
      }
    }
  }

  // groupRows makes the two rows of group g: the summary, and below it the
  // browser's verdict with the fix.
  groupRows(g) {
    const count = h("td", {class: "count"});
    const last = h("td", {class: "muted"});
    const tr = h("tr", {class: "group " + (g.allowed ? "allowed" : "refused"), "data-id": g.id, onclick: () => {
      if (this.open.has(g.id)) this.open.delete(g.id); else this.open.add(g.id);
      this.drawGroups();
    }},
    count,
    h("td", {}, h("span", {class: "tag " + (g.allowed ? "ok" : "bad")}, g.allowed ? "allowed" : "refused")),
    h("td", {class: "route"}, g.route),
    h("td", {class: "origin"}, h("code", {}, g.origin)),
    h("td", {class: "reason"}, g.reason, g.detail ? [": ", h("code", {class: "detail"}, g.detail)] : null),
    last);
    const fix = !g.allowed && fixable(g);
    const cell = h("td", {colspan: 6},
      h("p", {class: "muted"}, g.kind + " " + g.sample.method + " " + g.sample.host + g.sample.path,
        g.sample.headers && g.sample.headers.length ? [" with ", h("code", {class: "headers"}, g.sample.headers.map((x) => x.name).join(", "))] : null),
      verdictBlock(g.verdict));
    if (fix) {
      const panel = h("div", {class: "fix-panel"});
      cell.appendChild(h("button", {type: "button", class: "fix-button", onclick: (e) => {
        e.stopPropagation();
        fixPanel(panel, g, this.state);
      }}, fix.label));
      cell.appendChild(panel);
    }
    const sub = h("tr", {class: "sub", "data-id": g.id}, cell);
    return {tr, sub, count, last};
  }

  drawEntries() {
    const entries = this.entries.filter((e) => this.match(e)).slice(-30).reverse();
    replace(this.entriesEl, h("table", {id: "entries-table"},
      h("thead", {}, h("tr", {}, ["Time", "Route", "Kind", "Method", "Origin", "Path", "Result"].map((t) => h("th", {}, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {class: e.allowed ? "allowed" : "refused"},
        h("td", {class: "muted"}, new Date(e.time).toLocaleTimeString()),
        h("td", {}, e.route), h("td", {}, e.kind), h("td", {}, e.method),
        h("td", {class: "origin"}, h("code", {}, e.origin)),
        h("td", {}, h("code", {}, e.path)),
        h("td", {}, e.reason, e.detail ? ": " + e.detail : ""))))));
  }
}
