// Small DOM helpers shared by the pages: element building (never innerHTML
// with data), error and empty states, tabs, key/value lists, dialogs, toasts.

/**
 * h("div", {class: "x", onclick: f}, child, "text", [more]) builds an element.
 * Attributes starting with "on" become listeners; `null`/`false` are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An error box with the API's own code and message. */
export function errorBox(err) {
  const code = err && err.code ? err.code : "Error";
  return h("div", { class: "alert error", role: "alert" },
    h("strong", {}, code), ": ", err && err.message ? err.message : String(err));
}

/** An empty state: a sentence and an optional action. */
export function empty(text, action) {
  return h("div", { class: "empty" }, h("p", {}, text), action || null);
}

/** A labelled key/value list (a "details" panel). */
export function details(rows) {
  return h("dl", { class: "details" },
    rows.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v === undefined || v === null || v === "" ? "-" : v)]));
}

/** A status badge coloured by its meaning. */
export function badge(status) {
  const s = String(status || "-");
  const kind = /ACTIVE|COMPLETED|ENABLED/.test(s) ? "ok"
    : /FAILED|CANCELLED|DELETING/.test(s) ? "bad"
      : /CREATING|IN_PROGRESS|UPDATING|CANCELLING|ENABLING|DISABLING/.test(s) ? "busy" : "neutral";
  return h("span", { class: `badge ${kind}`, "data-status": s }, s.replace(/_/g, " "));
}

/** A button; `primary` makes it the main action. */
export function button(label, onclick, opts = {}) {
  return h("button", { type: opts.type || "button", class: opts.primary ? "primary" : opts.danger ? "danger" : null, onclick, id: opts.id, disabled: opts.disabled }, label);
}

/** A labelled form field around an input. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", { class: "hint" }, hint) : null);
}

/** A `<select>` of [value, label] pairs. */
export function select(options, value, attrs = {}) {
  return h("select", attrs, options.map(([v, l]) => h("option", { value: v, selected: v === value }, l ?? v)));
}

/** A group of radio buttons; returns {el, value()}. */
export function radios(name, options, value, onchange) {
  const el = h("div", { class: "radios", role: "radiogroup" },
    options.map(([v, l, hint]) => h("label", { class: "radio" },
      h("input", { type: "radio", name, value: v, checked: v === value, onchange }),
      h("span", {}, l, hint ? h("small", { class: "hint" }, hint) : null))));
  return { el, value: () => el.querySelector("input:checked")?.value };
}

/** Show a toast for a few seconds. */
export function toast(text, kind = "ok") {
  const area = document.getElementById("toasts");
  const t = h("div", { class: `toast ${kind}`, role: "status" }, text);
  area.append(t);
  setTimeout(() => t.remove(), 5000);
}

/**
 * A modal dialog (native <dialog>: Escape closes it, focus is trapped).
 * `build(close)` returns the body; resolves with what `close(value)` got.
 */
export function dialog(title, build, opts = {}) {
  return new Promise((resolve) => {
    const d = h("dialog", { class: opts.wide ? "wide" : null, "aria-label": title });
    const close = (value) => {
      d.close();
      d.remove();
      resolve(value);
    };
    d.addEventListener("cancel", (e) => {
      e.preventDefault();
      close(undefined);
    });
    mount(d, h("header", {}, h("h2", {}, title), h("button", { type: "button", class: "icon", "aria-label": "Close", onclick: () => close(undefined) }, "×")),
      h("div", { class: "dialog-body" }, build(close)));
    document.body.append(d);
    d.showModal();
  });
}

/** Ask for confirmation; `typed` requires the user to type that word. */
export function confirmDialog(title, text, action, typed) {
  return dialog(title, (close) => {
    const input = typed ? h("input", { type: "text", autocomplete: "off", placeholder: typed, "aria-label": `Type ${typed} to confirm` }) : null;
    const go = h("button", { type: "submit", class: "danger", disabled: Boolean(typed) }, action);
    if (input) input.addEventListener("input", () => { go.disabled = input.value !== typed; });
    return h("form", { onsubmit: (e) => { e.preventDefault(); close(true); } },
      h("p", {}, text), typed ? field(`Type "${typed}" to confirm`, input) : null,
      h("div", { class: "actions" }, button("Cancel", () => close(false)), go));
  });
}

/** A page header: title, optional subtitle and actions on the right. */
export function pageHeader(title, actions, subtitle) {
  return h("div", { class: "page-header" },
    h("div", {}, h("h1", {}, title), subtitle ? h("p", { class: "subtitle" }, subtitle) : null),
    h("div", { class: "actions" }, actions || []));
}

/** A link inside the console. */
export function link(href, text, attrs = {}) {
  return h("a", { href, ...attrs }, text);
}

/** A data table: columns [label, render(row)], rows. */
export function table(cols, rows, attrs = {}) {
  return h("div", { class: "table-wrap" },
    h("table", attrs,
      h("thead", {}, h("tr", {}, cols.map(([l]) => h("th", { scope: "col" }, l)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, cols.map(([, f]) => h("td", {}, f(r))))))));
}

/** Tabs as links: [[href, label]], the current one marked. */
export function tabs(items, current) {
  return h("nav", { class: "tabs", "aria-label": "Sections" },
    items.map(([href, label]) => h("a", { href, class: href === current ? "active" : null, "aria-current": href === current ? "page" : null }, label)));
}
