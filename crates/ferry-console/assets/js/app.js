// The console's shell: sign-in, navigation, and a hash router that renders
// one page at a time. Each page gets a context whose timers (live updates by
// polling) stop when the user leaves the page.

import { ddb, session, setSession, clearSession, setAuthFailureHandler } from "./api.js";
import { h, mount, errorBox, field } from "./ui.js";
import * as tables from "./pages/tables.js";
import * as table from "./pages/table.js";
import * as items from "./pages/items.js";
import * as importWizard from "./pages/import.js";
import * as imports from "./pages/imports.js";
import * as exportWizard from "./pages/export.js";
import * as exports from "./pages/exports.js";
import * as s3pages from "./pages/s3picker.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");

/** [pattern, section, render]; captured groups are URI-decoded and passed on. */
const ROUTES = [
  [/^\/tables$/, "tables", tables.list],
  [/^\/tables\/create$/, "tables", tables.create],
  [/^\/tables\/([^/]+)$/, "tables", table.overview],
  [/^\/tables\/([^/]+)\/items$/, "tables", items.explore],
  [/^\/imports$/, "imports", imports.list],
  [/^\/imports\/new$/, "imports", importWizard.wizard],
  [/^\/imports\/(.+)$/, "imports", imports.detail],
  [/^\/exports$/, "exports", exports.list],
  [/^\/exports\/new(?:\?table=(.+))?$/, "exports", exportWizard.wizard],
  [/^\/exports\/(.+)$/, "exports", exports.detail],
  [/^\/s3$/, "s3", s3pages.buckets],
  [/^\/s3\/([^/]+)\/?(.*)$/, "s3", s3pages.browse],
  [/^\/object\/([^/]+)\/(.+)$/, "s3", s3pages.object],
];

let current = null;

function safeDecode(p) {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** A page's context: where to draw, timers that die with the page. */
function context() {
  const timers = [];
  let alive = true;
  return {
    main,
    alive: () => alive,
    /** Run `fn` every `ms` while the page is shown (and the tab is visible). */
    every(ms, fn) {
      const id = setInterval(() => {
        if (alive && !document.hidden) fn();
      }, ms);
      timers.push(id);
    },
    stop() {
      alive = false;
      timers.forEach(clearInterval);
    },
  };
}

function route() {
  if (current) current.stop();
  const path = location.hash.replace(/^#/, "") || "/tables";
  if (!session()) {
    showLogin();
    return;
  }
  nav.hidden = false;
  document.getElementById("who").textContent = `${session().accessKeyId} · ${session().region}`;
  const found = ROUTES.map(([re, section, render]) => [re.exec(path), section, render]).find(([m]) => m);
  if (!found) {
    location.hash = "#/tables";
    return;
  }
  const [m, section, render] = found;
  for (const a of nav.querySelectorAll("a[data-section]")) {
    a.classList.toggle("active", a.dataset.section === section);
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  current = context();
  const ctx = current;
  const params = m.slice(1).map((p) => (p === undefined ? p : safeDecode(p)));
  mount(main, h("p", { class: "loading" }, "Loading…"));
  Promise.resolve(render(ctx, ...params)).catch((e) => {
    if (ctx.alive()) mount(main, errorBox(e));
  });
  main.focus({ preventScroll: true });
}

function showLogin(reason) {
  if (current) current.stop();
  nav.hidden = true;
  const prev = session();
  const key = h("input", { type: "text", name: "accessKeyId", autocomplete: "username", value: prev?.accessKeyId || "ferry", required: true, spellcheck: "false" });
  const secret = h("input", { type: "password", name: "secretAccessKey", autocomplete: "current-password", value: prev?.secretAccessKey || "ferry", required: true });
  const region = h("input", { type: "text", name: "region", value: prev?.region || "us-east-1", required: true, spellcheck: "false" });
  const status = h("div", { "aria-live": "polite" }, reason ? errorBox(reason) : null);
  const form = h("form", {
    class: "login card", id: "login",
    onsubmit: async (e) => {
      e.preventDefault();
      const creds = { accessKeyId: key.value.trim(), secretAccessKey: secret.value, region: region.value.trim() };
      mount(status, h("p", { class: "loading" }, "Checking…"));
      try {
        await ddb("ListTables", { Limit: 1 }, creds);
        setSession(creds);
        if (!location.hash || location.hash === "#/login") location.hash = "#/tables";
        route();
      } catch (err) {
        mount(status, errorBox(err));
      }
    },
  },
  h("h1", {}, "Sign in to Ferry"),
  h("p", {}, "The console signs every request with these credentials (AWS Signature Version 4), exactly as an SDK would. They stay in this browser tab only."),
  field("Access key ID", key),
  field("Secret access key", secret),
  field("Region", region),
  h("p", { class: "hint" }, "Leave as is for a server without --credentials: it accepts any key."),
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
  status);
  mount(main, form);
  key.focus();
}

setAuthFailureHandler((err) => {
  clearSession();
  showLogin(err);
});

document.getElementById("signout").addEventListener("click", () => {
  clearSession();
  showLogin();
});

window.addEventListener("hashchange", route);
route();
