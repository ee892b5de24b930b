// Tables: the list (with live status while tables are being created or
// deleted), delete, and the create form. The table-settings form is shared
// with the import wizard, which creates its table the same way.

import { ddb } from "../api.js";
import { h, mount, errorBox, empty, badge, button, field, select, pageHeader, link, table, confirmDialog, toast } from "../ui.js";
import { formatBytes } from "../ddbjson.js";

const KEY_TYPES = [["S", "String"], ["N", "Number"], ["B", "Binary"]];

/** Tables shown per page of the list (ListTables' own maximum). */
const PAGE = 100;

function keyText(t, type) {
  const k = (t.KeySchema || []).find((x) => x.KeyType === type);
  if (!k) return "-";
  const def = (t.AttributeDefinitions || []).find((a) => a.AttributeName === k.AttributeName);
  return `${k.AttributeName} (${def ? def.AttributeType : "?"})`;
}

export async function list(ctx) {
  const body = h("div", {});
  const head = pageHeader("Tables", [
    button("Refresh", () => load()),
    h("a", { class: "button primary", href: "#/tables/create", id: "create-table" }, "Create table"),
  ], "Every table of this server. Choose a table to see its overview, items, backups and exports.");
  mount(ctx.main, head, body);

  // The ExclusiveStartTableName of each page seen so far: one page is described at a time.
  const starts = [undefined];
  async function load() {
    let described;
    let more;
    try {
      const start = starts[starts.length - 1];
      const page = await ddb("ListTables", { Limit: PAGE, ...(start ? { ExclusiveStartTableName: start } : {}) });
      more = page.LastEvaluatedTableName;
      described = await Promise.all((page.TableNames || []).map((n) => ddb("DescribeTable", { TableName: n }).then((r) => r.Table, () => ({ TableName: n, TableStatus: "DELETING" }))));
    } catch (e) {
      if (ctx.alive()) mount(body, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    const pager = starts.length > 1 || more ? h("div", { class: "actions pager" },
      h("span", { class: "hint" }, `Page ${starts.length}`),
      button("‹ Previous page", () => { starts.pop(); load(); }, { disabled: starts.length === 1 }),
      button("Next page ›", () => { starts.push(more); load(); }, { disabled: !more })) : null;
    if (!described.length) {
      mount(body, empty("No tables yet. Create one, or import one from S3.",
        h("div", { class: "actions" }, h("a", { class: "button primary", href: "#/tables/create" }, "Create table"),
          h("a", { class: "button", href: "#/imports/new" }, "Import from S3"))));
      return;
    }
    mount(body, pager, table([
      ["Name", (t) => link(`#/tables/${encodeURIComponent(t.TableName)}`, t.TableName, { "data-table": t.TableName })],
      ["Status", (t) => badge(t.TableStatus)],
      ["Partition key", (t) => keyText(t, "HASH")],
      ["Sort key", (t) => keyText(t, "RANGE")],
      ["Indexes", (t) => String((t.GlobalSecondaryIndexes || []).length + (t.LocalSecondaryIndexes || []).length)],
      ["Items", (t) => (t.ItemCount ?? "-").toString()],
      ["Size", (t) => formatBytes(t.TableSizeBytes)],
      ["Billing", (t) => (t.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST" ? "On-demand" : "Provisioned")],
      ["", (t) => h("div", { class: "actions" },
        link(`#/tables/${encodeURIComponent(t.TableName)}/items`, "Explore items"),
        button("Delete", () => remove(t.TableName), { danger: true }))],
    ], described, { id: "tables" }));
  }

  async function remove(name) {
    const ok = await confirmDialog(`Delete table ${name}?`,
      "All items, indexes and the point-in-time recovery history of this table are deleted. This cannot be undone.", "Delete table", "confirm");
    if (!ok) return;
    try {
      await ddb("DeleteTable", { TableName: name });
      toast(`Table ${name} deleted.`);
    } catch (e) {
      toast(`${e.code}: ${e.message}`, "bad");
    }
    load();
  }

  await load();
  ctx.every(3000, () => {
    if (body.querySelector('[data-status="CREATING"],[data-status="UPDATING"],[data-status="DELETING"]')) load();
  });
}

/** A key row: name input and type select. */
function keyInputs(label, required, prefix) {
  const name = h("input", { type: "text", id: `${prefix}-name`, placeholder: required ? "Enter the key name" : "Optional", required, spellcheck: "false" });
  const type = select(KEY_TYPES, "S", { id: `${prefix}-type`, "aria-label": `${label} type` });
  return { el: h("div", { class: "inline" }, field(label, name), field("Type", type)), name, type };
}

/**
 * The new-table settings (name, keys, billing, GSIs), as used by CreateTable
 * and by ImportTable's TableCreationParameters. value() returns the request
 * fields, or throws an Error with a message for the user.
 */
export function tableSettings(defaults = {}) {
  const name = h("input", { type: "text", id: "table-name", value: defaults.TableName || "", required: true, spellcheck: "false", placeholder: "3 to 255 characters: a-z A-Z 0-9 _ - ." });
  const pk = keyInputs("Partition key", true, "pk");
  const sk = keyInputs("Sort key", false, "sk");
  const billing = select([["PAY_PER_REQUEST", "On-demand"], ["PROVISIONED", "Provisioned"]], "PAY_PER_REQUEST", { id: "billing" });
  const rcu = h("input", { type: "number", min: 1, value: 5, id: "rcu" });
  const wcu = h("input", { type: "number", min: 1, value: 5, id: "wcu" });
  const capacity = h("div", { class: "inline", hidden: true }, field("Read capacity units", rcu), field("Write capacity units", wcu));
  billing.addEventListener("change", () => { capacity.hidden = billing.value !== "PROVISIONED"; });
  const gsiRows = h("div", {});
  const gsis = [];
  function addGsi() {
    const i = gsis.length;
    const g = { name: h("input", { type: "text", placeholder: "Index name", id: `gsi${i}-name`, "aria-label": "Index name" }), pk: keyInputs("Index partition key", true, `gsi${i}-pk`), sk: keyInputs("Index sort key", false, `gsi${i}-sk`), projection: select([["ALL", "All attributes"], ["KEYS_ONLY", "Keys only"]], "ALL", { "aria-label": "Projected attributes" }) };
    const row = h("fieldset", {}, h("legend", {}, `Global secondary index ${i + 1}`), field("Index name", g.name), g.pk.el, g.sk.el, field("Projected attributes", g.projection),
      button("Remove index", () => { row.remove(); gsis.splice(gsis.indexOf(g), 1); }));
    gsis.push(g);
    gsiRows.append(row);
    g.name.focus();
  }
  const el = h("div", {},
    h("div", { class: "card" }, h("h2", {}, "Table details"),
      field("Table name", name),
      pk.el, h("p", { class: "hint" }, "The partition key is part of the table's primary key; it decides where items live."),
      sk.el, h("p", { class: "hint" }, "The sort key, when present, is the second part of the primary key.")),
    h("div", { class: "card" }, h("h2", {}, "Capacity"), field("Billing mode", billing), capacity),
    h("div", { class: "card" }, h("h2", {}, "Secondary indexes"), gsiRows, button("Add global secondary index", addGsi, { id: "add-gsi" })));

  function value() {
    const defs = new Map();
    const keySchema = (p, s) => {
      const ks = [{ AttributeName: p.name.value.trim(), KeyType: "HASH" }];
      defs.set(p.name.value.trim(), p.type.value);
      if (s.name.value.trim()) {
        ks.push({ AttributeName: s.name.value.trim(), KeyType: "RANGE" });
        defs.set(s.name.value.trim(), s.type.value);
      }
      return ks;
    };
    if (!pk.name.value.trim()) throw new Error("Enter a partition key name.");
    const out = { TableName: name.value.trim(), KeySchema: keySchema(pk, sk), BillingMode: billing.value };
    const throughput = { ReadCapacityUnits: Number(rcu.value), WriteCapacityUnits: Number(wcu.value) };
    if (billing.value === "PROVISIONED") out.ProvisionedThroughput = throughput;
    if (gsis.length) {
      out.GlobalSecondaryIndexes = gsis.map((g) => ({
        IndexName: g.name.value.trim(),
        KeySchema: keySchema(g.pk, g.sk),
        Projection: { ProjectionType: g.projection.value },
        ...(billing.value === "PROVISIONED" ? { ProvisionedThroughput: throughput } : {}),
      }));
    }
    out.AttributeDefinitions = [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
    return out;
  }
  return { el, value };
}

export async function create(ctx) {
  const settings = tableSettings();
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      mount(status);
      try {
        const req = settings.value();
        await ddb("CreateTable", req);
        toast(`Table ${req.TableName} created.`);
        location.hash = `#/tables/${encodeURIComponent(req.TableName)}`;
      } catch (err) {
        mount(status, errorBox(err));
        status.scrollIntoView({ block: "nearest" });
      }
    },
  }, settings.el, status, h("div", { class: "actions" }, h("a", { class: "button", href: "#/tables" }, "Cancel"), h("button", { type: "submit", class: "primary", id: "create-submit" }, "Create table")));
  mount(ctx.main, h("div", { class: "crumbs" }, link("#/tables", "Tables"), " › Create table"), pageHeader("Create table"), form);
  form.querySelector("#table-name").focus();
}
