// The Imports tab: every import of the last 90 days with live status, and an
// import's details (every setting chosen, live counters while it runs, the
// failure) with its error log from CloudWatch Logs (/aws-dynamodb/imports).

import { ddb, logs } from "../api.js";
import { h, mount, errorBox, empty, button, details, badge, pageHeader, link, table, tabs } from "../ui.js";
import { formatBytes, formatTime } from "../ddbjson.js";

const NINETY_DAYS = 90 * 24 * 3600;
const LOG_GROUP = "/aws-dynamodb/imports";
const enc = encodeURIComponent;

/** The table name of a table ARN (`arn:...:table/<name>`). */
export function tableName(arn) {
  return String(arn || "").split(":table/")[1]?.split("/")[0] || "-";
}

/** The two tabs of the imports or exports section; `wizard` marks the second one. */
export function sectionTabs(kind, wizard = false) {
  const base = `#/${kind}`;
  const label = kind === "imports" ? ["Imports", "Import from S3"] : ["Exports", "Export to S3"];
  return tabs([[base, label[0]], [`${base}/new`, label[1]]], wizard ? `${base}/new` : base);
}

async function allImports() {
  const out = [];
  let token;
  do {
    const r = await ddb("ListImports", { PageSize: 25, ...(token ? { NextToken: token } : {}) });
    out.push(...(r.ImportSummaryList || []));
    token = r.NextToken;
  } while (token);
  const since = Date.now() / 1000 - NINETY_DAYS;
  return out.filter((i) => !i.StartTime || i.StartTime >= since).sort((a, b) => (b.StartTime || 0) - (a.StartTime || 0));
}

export async function list(ctx) {
  const body = h("div", {});
  mount(ctx.main, pageHeader("Imports from S3", [h("a", { class: "button primary", href: "#/imports/new", id: "new-import" }, "Import from S3")],
    "Every import of the last 90 days. Choose an import to see its settings, progress and error log."), sectionTabs("imports"), body);
  async function load() {
    let list;
    try {
      list = await allImports();
    } catch (e) {
      if (ctx.alive()) mount(body, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    if (!list.length) {
      mount(body, empty("No imports in the last 90 days.", h("a", { class: "button primary", href: "#/imports/new" }, "Import from S3")));
      return;
    }
    mount(body, table([
      ["Import ARN", (i) => link(`#/imports/${enc(i.ImportArn)}`, i.ImportArn.split("/import/")[1] || i.ImportArn, { class: "mono", title: i.ImportArn })],
      ["Status", (i) => badge(i.ImportStatus)],
      ["Table", (i) => link(`#/tables/${enc(tableName(i.TableArn))}`, tableName(i.TableArn))],
      ["Source", (i) => `s3://${i.S3BucketSource?.S3Bucket}/${i.S3BucketSource?.S3KeyPrefix || ""}`],
      ["Format", (i) => i.InputFormat],
      ["Started", (i) => formatTime(i.StartTime)],
      ["Ended", (i) => formatTime(i.EndTime)],
    ], list, { id: "imports" }));
  }
  await load();
  ctx.every(2000, () => {
    if (body.querySelector('[data-status="IN_PROGRESS"],[data-status="CANCELLING"]')) load();
  });
}

export async function detail(ctx, arn) {
  const id = arn.split("/import/")[1] || arn;
  const head = h("div", {});
  const info = h("div", {});
  const logBox = h("div", { class: "card", id: "error-log" });
  mount(ctx.main, h("div", { class: "crumbs" }, link("#/imports", "Imports from S3"), ` › ${id}`), head, info, logBox);
  let status = "";

  async function load() {
    let d;
    try {
      d = (await ddb("DescribeImport", { ImportArn: arn })).ImportTableDescription;
    } catch (e) {
      if (ctx.alive()) mount(info, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    const wasRunning = status === "IN_PROGRESS";
    status = d.ImportStatus;
    const tp = d.TableCreationParameters || {};
    const key = (kt) => (tp.KeySchema || []).find((k) => k.KeyType === kt)?.AttributeName;
    const type = (n) => (tp.AttributeDefinitions || []).find((a) => a.AttributeName === n)?.AttributeType;
    const csv = d.InputFormatOptions?.Csv;
    const name = tableName(d.TableArn);
    mount(head, pageHeader(`Import ${id}`, [link(`#/tables/${enc(name)}`, `Open table ${name}`, { class: "button" })], d.ImportArn));
    mount(info,
      h("div", { class: "card" }, h("h2", {}, "Status"),
        h("p", {}, badge(d.ImportStatus), d.ImportStatus === "IN_PROGRESS" ? h("span", { class: "hint" }, "  updating live…") : null),
        d.FailureCode || d.FailureMessage ? h("div", { class: "alert error", role: "alert", id: "failure" }, h("strong", {}, d.FailureCode || "Failure"), ": ", d.FailureMessage || "") : null,
        h("div", { class: "counters", id: "counters" },
          counter("Processed items", d.ProcessedItemCount ?? 0, "processed"),
          counter("Imported items", d.ImportedItemCount ?? 0, "imported"),
          counter("Processed size", formatBytes(d.ProcessedSizeBytes ?? 0), "bytes"),
          counter("Errors", d.ErrorCount ?? 0, "errors")),
        details([["Start time", formatTime(d.StartTime)], ["End time", formatTime(d.EndTime)]])),
      h("div", { class: "grid2" },
        h("div", { class: "card" }, h("h2", {}, "Import options"), details([
          ["Source S3 URL", `s3://${d.S3BucketSource?.S3Bucket}/${d.S3BucketSource?.S3KeyPrefix || ""}`],
          ["S3 bucket owner", d.S3BucketSource?.S3BucketOwner || "This AWS account"],
          ["Import file compression", d.InputCompressionType || "NONE"],
          ["Import file format", d.InputFormat],
          csv ? ["CSV header", csv.HeaderList ? csv.HeaderList.join(", ") : "First line of the source file"] : null,
          csv ? ["CSV delimiter", JSON.stringify(csv.Delimiter ?? ",")] : null,
          ["Client token", d.ClientToken],
          ["Log group", d.CloudWatchLogGroupArn],
        ])),
        h("div", { class: "card" }, h("h2", {}, "Destination table"), details([
          ["Table name", tp.TableName || name],
          ["Table ARN", h("span", { class: "mono" }, d.TableArn)],
          ["Partition key", key("HASH") ? `${key("HASH")} (${type(key("HASH"))})` : "-"],
          ["Sort key", key("RANGE") ? `${key("RANGE")} (${type(key("RANGE"))})` : "-"],
          ["Capacity mode", tp.BillingMode === "PROVISIONED" ? "Provisioned" : "On-demand"],
          ["Secondary indexes", (tp.GlobalSecondaryIndexes || []).map((g) => g.IndexName).join(", ") || "-"],
        ]))));
    if (wasRunning || !logBox.dataset.loaded) loadLog(d);
  }

  async function loadLog(d) {
    logBox.dataset.loaded = "1";
    const heading = h("h2", {}, "Error log");
    const where = h("p", { class: "hint" }, `CloudWatch Logs group ${LOG_GROUP}, stream ${id}/error.`);
    if (!d.ErrorCount) {
      mount(logBox, heading, where, h("p", { id: "no-errors" }, d.ImportStatus === "IN_PROGRESS" ? "No errors so far." : "No errors were logged for this import."));
      return;
    }
    const events = [];
    let token;
    try {
      for (let page = 0; page < 10; page++) {
        const r = await logs("GetLogEvents", { logGroupName: LOG_GROUP, logStreamName: `${id}/error`, startFromHead: true, limit: 200, ...(token ? { nextToken: token } : {}) });
        events.push(...(r.events || []));
        if (!r.events?.length || r.nextForwardToken === token) break;
        token = r.nextForwardToken;
      }
    } catch (e) {
      if (ctx.alive()) mount(logBox, heading, where, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    mount(logBox, heading, where,
      h("p", {}, `${events.length} event${events.length === 1 ? "" : "s"}${events.length >= 2000 ? " (the first 2000 are shown)" : ""}.`),
      h("div", { class: "log", id: "log-events" }, events.map((e) => h("div", { class: "event" },
        h("span", { class: "ts" }, new Date(e.timestamp).toISOString()), prettyMessage(e.message)))));
  }

  await load();
  ctx.every(2000, () => {
    if (status === "IN_PROGRESS" || status === "CANCELLING") load();
  });
}

function counter(label, value, id) {
  return h("div", { class: "counter" }, h("b", { id: `count-${id}` }, String(value)), h("span", {}, label));
}

function prettyMessage(m) {
  try {
    return JSON.stringify(JSON.parse(m));
  } catch {
    return m;
  }
}
