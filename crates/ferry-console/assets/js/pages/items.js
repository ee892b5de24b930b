// The items explorer: Scan or Query a table or one of its indexes, with key
// conditions, filters and paging by LastEvaluatedKey (one page at a time,
// never the whole table); view, edit, create and delete an item as DynamoDB
// JSON, with the API's own validation message shown beside the editor.

import { ddb } from "../api.js";
import { h, mount, errorBox, empty, button, field, select, pageHeader, link, radios, dialog, confirmDialog, toast } from "../ui.js";
import { parseItem, display, columns, keyOf, Expr, keyCondition, filterExpression, SORT_OPS, FILTER_OPS } from "../ddbjson.js";
import { tableTabs } from "./table.js";

const FILTER_TYPES = [["S", "String"], ["N", "Number"], ["BOOL", "Boolean"], ["NULL", "Null"]];

function attrType(t, name) {
  return (t.AttributeDefinitions || []).find((a) => a.AttributeName === name)?.AttributeType || "S";
}

export async function explore(ctx, name) {
  const t = (await ddb("DescribeTable", { TableName: name })).Table;
  if (!ctx.alive()) return;
  const indexes = [...(t.GlobalSecondaryIndexes || []), ...(t.LocalSecondaryIndexes || [])];
  const schemaOf = (index) => (index ? indexes.find((i) => i.IndexName === index).KeySchema : t.KeySchema);
  const tableKeys = t.KeySchema.map((k) => k.AttributeName);

  // --- the request form -------------------------------------------------
  let mode = "scan";
  const modeRadios = radios("mode", [["scan", "Scan"], ["query", "Query"]], "scan", () => { mode = modeRadios.value(); drawKeys(); });
  modeRadios.el.classList.add("inline");
  const index = select([["", `Table: ${name}`], ...indexes.map((i) => [i.IndexName, `Index: ${i.IndexName}`])], "", { id: "index" });
  index.addEventListener("change", drawKeys);
  const keyArea = h("div", {});
  const pkValue = h("input", { type: "text", id: "pk-value", spellcheck: "false" });
  const skOp = select(SORT_OPS.map((o) => [o, o]), "=", { id: "sk-op", "aria-label": "Sort key condition" });
  const skValue = h("input", { type: "text", id: "sk-value", spellcheck: "false", "aria-label": "Sort key value" });
  const skValue2 = h("input", { type: "text", id: "sk-value2", spellcheck: "false", "aria-label": "Second sort key value" });
  skOp.addEventListener("change", () => { skValue2.hidden = skOp.value !== "between"; });
  skValue2.hidden = true;

  function drawKeys() {
    if (mode !== "query") {
      mount(keyArea);
      return;
    }
    const ks = schemaOf(index.value);
    const p = ks.find((k) => k.KeyType === "HASH");
    const s = ks.find((k) => k.KeyType === "RANGE");
    mount(keyArea, h("div", { class: "inline" },
      field(`${p.AttributeName} (partition key, ${attrType(t, p.AttributeName)})`, pkValue),
      s ? h("div", { class: "field" }, h("label", { for: "sk-value" }, `${s.AttributeName} (sort key, ${attrType(t, s.AttributeName)})`),
        h("div", { class: "inline" }, skOp, skValue, skValue2)) : null));
  }

  const filters = h("div", { id: "filters" });
  function addFilter() {
    const row = h("div", { class: "inline filter" },
      h("input", { type: "text", placeholder: "Attribute name", class: "f-name", "aria-label": "Filter attribute name", spellcheck: "false" }),
      select(FILTER_TYPES, "S", { class: "f-type", "aria-label": "Filter attribute type" }),
      select(FILTER_OPS.map((o) => [o, o]), "=", { class: "f-op", "aria-label": "Filter condition" }),
      h("input", { type: "text", placeholder: "Value", class: "f-value", "aria-label": "Filter value", spellcheck: "false" }));
    row.append(button("Remove", () => row.remove()));
    filters.append(row);
    row.querySelector(".f-name").focus();
  }
  const limit = select([["25", "25"], ["50", "50"], ["100", "100"], ["300", "300"]], "50", { id: "page-size" });

  const results = h("div", { id: "results", "aria-live": "polite" });
  const form = h("form", {
    class: "card",
    onsubmit: (e) => {
      e.preventDefault();
      pages = [undefined];
      run();
    },
  }, h("h2", {}, "Scan or query items"), modeRadios.el, field("Table or index", index), keyArea,
  h("h3", {}, "Filters"), filters, button("Add filter", addFilter, { id: "add-filter" }),
  h("div", { class: "inline" }, field("Items per page", limit)),
  h("div", { class: "actions" }, button("Reset", () => { filters.replaceChildren(); pkValue.value = ""; skValue.value = ""; }),
    h("button", { type: "submit", class: "primary", id: "run" }, "Run")));

  mount(ctx.main, h("div", { class: "crumbs" }, link("#/tables", "Tables"), " › ", link(`#/tables/${encodeURIComponent(name)}`, name), " › Items"),
    pageHeader(`${name}: items`, [button("Create item", () => edit(null), { primary: true, id: "create-item" })]),
    tableTabs(name, "items"), form, results);

  // --- running it, one page at a time -------------------------------------
  let pages = [undefined]; // the ExclusiveStartKey of each page seen so far
  let last = null;

  function request(startKey) {
    const expr = new Expr();
    const req = { TableName: name, Limit: Number(limit.value) };
    if (index.value) req.IndexName = index.value;
    if (mode === "query") {
      const ks = schemaOf(index.value);
      const p = ks.find((k) => k.KeyType === "HASH");
      const s = ks.find((k) => k.KeyType === "RANGE");
      req.KeyConditionExpression = keyCondition(expr,
        { name: p.AttributeName, type: attrType(t, p.AttributeName), value: pkValue.value },
        s ? { name: s.AttributeName, type: attrType(t, s.AttributeName), op: skOp.value, value: skValue.value, value2: skValue2.value } : null);
    }
    const rows = Array.from(filters.querySelectorAll(".filter"), (r) => ({
      name: r.querySelector(".f-name").value.trim(), type: r.querySelector(".f-type").value,
      op: r.querySelector(".f-op").value, value: r.querySelector(".f-value").value,
    }));
    const filter = filterExpression(expr, rows);
    if (filter) req.FilterExpression = filter;
    Object.assign(req, expr.params());
    if (startKey) req.ExclusiveStartKey = startKey;
    return req;
  }

  async function run() {
    const page = pages.length - 1;
    mount(results, h("p", { class: "loading" }, "Loading…"));
    let r;
    try {
      r = await ddb(mode === "query" ? "Query" : "Scan", request(pages[page]));
    } catch (e) {
      if (ctx.alive()) mount(results, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    last = r;
    const items = r.Items || [];
    const keyNames = [...new Set([...tableKeys, ...schemaOf(index.value).map((k) => k.AttributeName)])];
    const cols = columns(items, keyNames);
    const nav = h("div", { class: "actions pager" },
      h("span", { class: "hint", id: "counts" }, `Page ${page + 1} · ${r.Count} item${r.Count === 1 ? "" : "s"} returned · ${r.ScannedCount} scanned`),
      button("‹ Previous page", () => { pages.pop(); run(); }, { disabled: page === 0, id: "prev-page" }),
      button("Next page ›", () => { pages.push(last.LastEvaluatedKey); run(); }, { disabled: !r.LastEvaluatedKey, id: "next-page" }));
    if (!items.length) {
      mount(results, nav, empty(r.LastEvaluatedKey ? "No items matched on this page; more of the table remains: try the next page." : "No items matched."));
      return;
    }
    mount(results, nav, h("div", { class: "table-wrap" }, h("table", { id: "items" },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, items.map((it) => h("tr", {}, cols.map((c, i) => h("td", { title: display(it[c]) },
        i === 0 ? button(display(it[c]) || "(open)", () => edit(it), { id: null }) : display(it[c])))))))));
    for (const b of results.querySelectorAll("tbody button")) b.classList.add("link", "open-item");
  }

  // --- the editor ------------------------------------------------------------
  async function edit(item) {
    let current = item;
    if (item) {
      try {
        const got = await ddb("GetItem", { TableName: name, Key: keyOf(item, t.KeySchema), ConsistentRead: true });
        current = got.Item || item;
      } catch (e) {
        toast(`${e.code}: ${e.message}`, "bad");
      }
    }
    const template = current || Object.fromEntries(t.KeySchema.map((k) => [k.AttributeName, { [attrType(t, k.AttributeName)]: "" }]));
    const changed = await dialog(item ? "Edit item" : "Create item", (close) => {
      const text = h("textarea", { class: "editor", id: "item-json", spellcheck: "false", "aria-label": "Item in DynamoDB JSON", rows: 16 });
      text.value = JSON.stringify(template, null, 2);
      const status = h("div", { id: "editor-error", "aria-live": "assertive" });
      const save = async (e) => {
        e.preventDefault();
        const parsed = parseItem(text.value);
        if (parsed.error) {
          mount(status, h("div", { class: "alert error", role: "alert" }, parsed.error));
          return;
        }
        try {
          await ddb("PutItem", { TableName: name, Item: parsed.item });
          const oldKey = item ? keyOf(item, t.KeySchema) : null;
          const newKey = keyOf(parsed.item, t.KeySchema);
          if (oldKey && JSON.stringify(oldKey) !== JSON.stringify(newKey)) {
            await ddb("DeleteItem", { TableName: name, Key: oldKey });
          }
          close(true);
          toast(item ? "Item saved." : "Item created.");
        } catch (err) {
          mount(status, errorBox(err));
        }
      };
      const remove = async () => {
        const ok = await confirmDialog("Delete item?", "The item is deleted from the table.", "Delete");
        if (!ok) return;
        try {
          await ddb("DeleteItem", { TableName: name, Key: keyOf(item, t.KeySchema) });
          close(true);
          toast("Item deleted.");
        } catch (err) {
          mount(status, errorBox(err));
        }
      };
      text.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save(e);
      });
      return h("form", { onsubmit: save },
        h("p", { class: "hint" }, "The item in DynamoDB JSON: each attribute is an object with one type key (S, N, B, BOOL, NULL, M, L, SS, NS, BS). Ctrl+Enter saves. Changing the key saves a new item and deletes the old one."),
        text, status,
        h("div", { class: "actions" },
          item ? button("Delete item", remove, { danger: true, id: "delete-item" }) : null,
          button("Cancel", () => close(false)),
          h("button", { type: "submit", class: "primary", id: "save-item" }, item ? "Save" : "Create item")));
    }, { wide: true });
    if (changed) run();
  }

  drawKeys();
  run();
}
