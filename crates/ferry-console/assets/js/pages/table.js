// A table's overview: status, keys, indexes, item count and size, and
// point-in-time recovery (enable/disable, the restorable window, restore to a
// point in time). Refreshes itself while the table is not ACTIVE.

import { ddb } from "../api.js";
import { h, mount, errorBox, badge, button, field, details, pageHeader, link, table, tabs, toast, dialog, radios } from "../ui.js";
import { formatBytes, formatTime, parseUtcInput, toUtcInput } from "../ddbjson.js";

/** The tabs shown on every page of one table. */
export function tableTabs(name, current) {
  const base = `#/tables/${encodeURIComponent(name)}`;
  return tabs([[base, "Overview"], [`${base}/items`, "Explore items"]], current === "items" ? `${base}/items` : base);
}

function keys(t, ks) {
  const def = (n) => (t.AttributeDefinitions || []).find((a) => a.AttributeName === n)?.AttributeType || "?";
  const get = (kt) => ks.find((k) => k.KeyType === kt);
  const p = get("HASH");
  const s = get("RANGE");
  return [p ? `${p.AttributeName} (${def(p.AttributeName)})` : "-", s ? `${s.AttributeName} (${def(s.AttributeName)})` : "-"];
}

export async function overview(ctx, name) {
  const top = h("div", {});
  const info = h("div", {});
  const pitr = h("div", { class: "card", id: "pitr" });
  mount(ctx.main, h("div", { class: "crumbs" }, link("#/tables", "Tables"), ` › ${name}`),
    pageHeader(name, [
      h("a", { class: "button", href: `#/exports/new?table=${encodeURIComponent(name)}` }, "Export to S3"),
      h("a", { class: "button primary", href: `#/tables/${encodeURIComponent(name)}/items` }, "Explore table items"),
    ]), tableTabs(name, "overview"), top, info, pitr);

  let status = "";
  async function load() {
    let t;
    try {
      t = (await ddb("DescribeTable", { TableName: name })).Table;
    } catch (e) {
      if (ctx.alive()) mount(info, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    // A table being created has no backups yet: read them once it is ready.
    if (status && status !== "ACTIVE" && t.TableStatus === "ACTIVE") loadPitr();
    status = t.TableStatus;
    const [pk, sk] = keys(t, t.KeySchema || []);
    mount(top, t.TableStatus === "CREATING"
      ? h("div", { class: "alert info" }, "This table is being created (by an import or a restore). It is not accessible until its status is Active.")
      : null);
    const gsis = (t.GlobalSecondaryIndexes || []).map((i) => ({ ...i, kind: "Global" }));
    const lsis = (t.LocalSecondaryIndexes || []).map((i) => ({ ...i, kind: "Local", IndexStatus: "ACTIVE" }));
    mount(info,
      h("div", { class: "card" }, h("h2", {}, "General information"),
        h("div", { class: "grid2" },
          details([
            ["Status", h("span", { id: "table-status" }, badge(t.TableStatus))],
            ["Partition key", pk],
            ["Sort key", sk],
            ["Capacity mode", t.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST" ? "On-demand" : `Provisioned (${t.ProvisionedThroughput?.ReadCapacityUnits} RCU, ${t.ProvisionedThroughput?.WriteCapacityUnits} WCU)`],
          ]),
          details([
            ["Item count", h("span", { id: "item-count" }, String(t.ItemCount ?? "-"))],
            ["Table size", formatBytes(t.TableSizeBytes)],
            ["Created", formatTime(t.CreationDateTime)],
            ["Amazon Resource Name (ARN)", h("span", { class: "mono" }, t.TableArn)],
          ]))),
      h("div", { class: "card" }, h("h2", {}, `Indexes (${gsis.length + lsis.length})`),
        gsis.length + lsis.length === 0 ? h("p", { class: "hint" }, "This table has no secondary indexes.")
          : table([
            ["Name", (i) => i.IndexName], ["Type", (i) => i.kind], ["Status", (i) => badge(i.IndexStatus)],
            ["Partition key", (i) => keys(t, i.KeySchema)[0]], ["Sort key", (i) => keys(t, i.KeySchema)[1]],
            ["Projection", (i) => i.Projection?.ProjectionType || "-"], ["Items", (i) => String(i.ItemCount ?? "-")],
          ], [...gsis, ...lsis])));
  }

  async function loadPitr() {
    let d;
    try {
      d = (await ddb("DescribeContinuousBackups", { TableName: name })).ContinuousBackupsDescription;
    } catch (e) {
      if (ctx.alive()) mount(pitr, h("h2", {}, "Point-in-time recovery (PITR)"), errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    const p = d.PointInTimeRecoveryDescription || {};
    const on = p.PointInTimeRecoveryStatus === "ENABLED";
    mount(pitr, h("h2", {}, "Point-in-time recovery (PITR)"),
      h("p", { class: "hint" }, "PITR keeps this table's history so that it can be restored to, or exported from, any second of the recovery period."),
      details([
        ["Status", badge(p.PointInTimeRecoveryStatus || "DISABLED")],
        on ? ["Recovery period", `${p.RecoveryPeriodInDays ?? 35} days`] : null,
        on ? ["Earliest restorable time", h("span", { id: "earliest" }, formatTime(p.EarliestRestorableDateTime))] : null,
        on ? ["Latest restorable time", h("span", { id: "latest" }, formatTime(p.LatestRestorableDateTime))] : null,
      ]),
      h("div", { class: "actions" },
        on ? button("Disable", () => setPitr(false), { id: "pitr-disable" }) : button("Enable", () => setPitr(true), { primary: true, id: "pitr-enable" }),
        on ? button("Restore to point in time", () => restore(p), { id: "restore" }) : null));
  }

  async function setPitr(enabled) {
    try {
      await ddb("UpdateContinuousBackups", { TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: enabled } });
      toast(`Point-in-time recovery ${enabled ? "enabled" : "disabled"}.`);
    } catch (e) {
      toast(`${e.code}: ${e.message}`, "bad");
    }
    loadPitr();
  }

  async function restore(p) {
    await dialog(`Restore ${name} to a point in time`, (close) => {
      const target = h("input", { type: "text", id: "restore-target", required: true, value: `${name}-restored`, spellcheck: "false" });
      const when = h("input", { type: "datetime-local", step: 1, id: "restore-time", value: toUtcInput(p.LatestRestorableDateTime), min: toUtcInput(Math.ceil(p.EarliestRestorableDateTime)), max: toUtcInput(p.LatestRestorableDateTime) });
      const mode = radios("restore-mode", [["latest", "Latest restorable time", formatTime(p.LatestRestorableDateTime)], ["time", "Specify date and time (UTC)"]], "latest", () => { when.disabled = mode.value() !== "time"; });
      when.disabled = true;
      const status = h("div", { "aria-live": "polite" });
      return h("form", {
        onsubmit: async (e) => {
          e.preventDefault();
          const req = { SourceTableName: name, TargetTableName: target.value.trim() };
          if (mode.value() === "latest") req.UseLatestRestorableTime = true;
          else req.RestoreDateTime = parseUtcInput(when.value);
          try {
            await ddb("RestoreTableToPointInTime", req);
            close(true);
            toast(`Restoring into ${req.TargetTableName}.`);
            location.hash = `#/tables/${encodeURIComponent(req.TargetTableName)}`;
          } catch (err) {
            mount(status, errorBox(err));
          }
        },
      }, field("New table name", target), mode.el, field("Restore date and time (UTC)", when,
        `Between ${formatTime(p.EarliestRestorableDateTime)} and ${formatTime(p.LatestRestorableDateTime)}.`), status,
      h("div", { class: "actions" }, button("Cancel", () => close(false)), h("button", { type: "submit", class: "primary", id: "restore-submit" }, "Restore")));
    });
  }

  await Promise.all([load(), loadPitr()]);
  ctx.every(3000, () => {
    if (status !== "ACTIVE") load();
  });
  ctx.every(15000, () => {
    if (pitr.querySelector("#latest")) loadPitr();
  });
}
