import {h, replace} from "./dom.js";
import {get, post, call} from "./api.js";
import {state, loadConfig} from "./state.js";
import {DecisionsView} from "./decisions.js";
import {routesView} from "./routes.js";
import {playgroundView} from "./playground.js";

const main = document.getElementById("main");
const who = document.getElementById("who");

function showLogin(message) {
  replace(who);
  const key = h("input", {type: "password", id: "key", placeholder: "admin key", "aria-label": "admin key"});
  const err = h("p", {class: "error", id: "login-error"}, message || "");
  const form = h("form", {id: "login", onsubmit: async (e) => {
    e.preventDefault();
    try {
      state.session = await post("/ui/api/session", {key: key.value});
      await start();
    } catch (x) {
      replace(err, x.message);
    }
  }}, h("h2", {}, "Log in"), h("p", {}, "The console uses the Admin API's keys: a viewer key sees, an admin key also changes."),
  key, " ", h("button", {type: "submit"}, "Log in"), err);
  replace(main, form);
}

function showWho() {
  const s = state.session;
  if (s.open) {
    replace(who, h("span", {class: "muted"}, "no admin keys: open on loopback"));
    return;
  }
  replace(who, h("span", {}, s.name + " (" + s.role + ") "),
    h("button", {type: "button", id: "logout", onclick: async () => {
      await call("DELETE", "/ui/api/session");
      location.reload();
    }}, "Log out"));
}

async function route() {
  const page = (location.hash || "#decisions").slice(1);
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.getAttribute("href") === "#" + page);
  }
  try {
    switch (page) {
    case "routes":
      replace(main, await routesView());
      break;
    case "playground":
      replace(main, await playgroundView());
      break;
    default:
      replace(main, state.decisions.render());
    }
  } catch (x) {
    replace(main, h("p", {class: "error"}, x.message));
  }
}

async function start() {
  showWho();
  await loadConfig();
  state.decisions = new DecisionsView(state);
  window.addEventListener("hashchange", route);
  await route();
}

async function boot() {
  try {
    state.session = await get("/ui/api/session");
  } catch (x) {
    replace(main, h("p", {class: "error"}, x.message));
    return;
  }
  if (!state.session.open && !state.session.logged_in) {
    showLogin();
    return;
  }
  await start();
}

boot();
