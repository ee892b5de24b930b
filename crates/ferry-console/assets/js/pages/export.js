// The "Export to S3" wizard as AWS's guide describes it: source table,
// destination s3://bucket/prefix (Browse S3), full export (current time or a
// point in the PITR window) or incremental export (absolute or relative
// period, view type), file format and encryption; then Export.

import { ddb } from "../api.js";
import { h, mount, errorBox, button, field, select, pageHeader, link, radios, details, toast } from "../ui.js";
import { parseS3Url, formatTime, parseUtcInput, toUtcInput } from "../ddbjson.js";
import { pickS3 } from "./s3picker.js";
import { sectionTabs } from "./imports.js";

const RELATIVE = [["900", "Last 15 minutes"], ["3600", "Last hour"], ["21600", "Last 6 hours"], ["43200", "Last 12 hours"], ["86400", "Last 24 hours"]];

export async function wizard(ctx, preset) {
  const names = [];
  let start;
  do {
    const r = await ddb("ListTables", start ? { ExclusiveStartTableName: start } : {});
    names.push(...(r.TableNames || []));
    start = r.LastEvaluatedTableName;
  } while (start);
  if (!ctx.alive()) return;

  const tableSel = select([["", "Choose a table"], ...names.map((n) => [n, n])], preset && names.includes(preset) ? preset : "", { id: "source-table" });
  const windowInfo = h("div", { id: "pitr-window", "aria-live": "polite" });
  let pitr = null;
  let table = null;
  async function loadTable() {
    pitr = null;
    table = null;
    mount(windowInfo);
    if (!tableSel.value) return;
    try {
      const [t, b] = await Promise.all([
        ddb("DescribeTable", { TableName: tableSel.value }),
        ddb("DescribeContinuousBackups", { TableName: tableSel.value }),
      ]);
      table = t.Table;
      pitr = b.ContinuousBackupsDescription.PointInTimeRecoveryDescription;
    } catch (e) {
      mount(windowInfo, errorBox(e));
      return;
    }
    if (pitr?.PointInTimeRecoveryStatus === "ENABLED") {
      mount(windowInfo, h("p", { class: "hint" }, `Point-in-time recovery window: ${formatTime(pitr.EarliestRestorableDateTime)} to ${formatTime(pitr.LatestRestorableDateTime)}.`));
      // Whole seconds inside the window: round the earliest time up, the latest down.
      const earliest = toUtcInput(Math.ceil(pitr.EarliestRestorableDateTime));
      const latest = toUtcInput(pitr.LatestRestorableDateTime);
      for (const input of [exportTime, fromTime, toTime]) {
        input.min = earliest;
        input.max = latest;
      }
      if (!exportTime.value) exportTime.value = latest;
      if (!fromTime.value) fromTime.value = earliest;
      if (!toTime.value) toTime.value = latest;
    } else {
      mount(windowInfo, h("div", { class: "alert info" }, "Point-in-time recovery is off for this table; exports need it. ",
        link(`#/tables/${encodeURIComponent(tableSel.value)}`, "Enable it on the table's overview.")));
    }
  }
  tableSel.addEventListener("change", loadTable);

  const url = h("input", { type: "text", id: "dest-url", placeholder: "s3://bucket/prefix", spellcheck: "false" });
  const browse = button("Browse S3", async () => {
    const picked = await pickS3({ title: "Choose the destination bucket or prefix", objects: false });
    if (picked) url.value = picked;
    url.focus();
  }, { id: "browse-s3" });
  const account = h("input", { type: "text", id: "owner-account", placeholder: "123456789012", inputmode: "numeric" });
  const accountField = field("Bucket owner's account ID", account);
  accountField.hidden = true;
  const owner = radios("owner", [["self", "This AWS account"], ["other", "A different AWS account"]], "self", () => { accountField.hidden = owner.value() !== "other"; });

  const exportTime = h("input", { type: "datetime-local", step: 1, id: "export-time" });
  const fullWhen = radios("full-when", [["now", "Current time"], ["time", "Specific point in time (UTC)"]], "now", () => { exportTime.disabled = fullWhen.value() !== "time"; });
  exportTime.disabled = true;
  const fullBox = h("fieldset", {}, h("legend", {}, "Full export"), fullWhen.el, field("Export from", exportTime));

  const fromTime = h("input", { type: "datetime-local", step: 1, id: "from-time" });
  const toTime = h("input", { type: "datetime-local", step: 1, id: "to-time" });
  const relative = select(RELATIVE, "3600", { id: "relative-period" });
  const absBox = h("div", { class: "inline" }, field("Start (inclusive, UTC)", fromTime), field("End (exclusive, UTC)", toTime));
  const relBox = field("Export period", relative, "Ends at the export's submission time (the server's clock).");
  relBox.hidden = true;
  const periodMode = radios("period-mode", [["absolute", "Absolute mode", "Export the changes of a period you specify."], ["relative", "Relative mode", "Export the changes of a period that ends when the export is submitted."]], "absolute",
    () => { absBox.hidden = periodMode.value() !== "absolute"; relBox.hidden = !absBox.hidden; });
  const viewType = radios("view-type", [["NEW_AND_OLD_IMAGES", "New and old images"], ["NEW_IMAGE", "New images only"]], "NEW_AND_OLD_IMAGES");
  const incBox = h("fieldset", { hidden: true }, h("legend", {}, "Incremental export"),
    h("p", { class: "hint" }, "The period must be at least 15 minutes and at most 24 hours, within the PITR window."),
    periodMode.el, absBox, relBox, h("h3", {}, "Export view type"), viewType.el);
  const type = radios("export-type", [["FULL_EXPORT", "Full export", "The whole table as it was at one point in time."], ["INCREMENTAL_EXPORT", "Incremental export", "The changes made during a period."]], "FULL_EXPORT",
    () => { fullBox.hidden = type.value() !== "FULL_EXPORT"; incBox.hidden = !fullBox.hidden; });

  const format = radios("format", [["DYNAMODB_JSON", "DynamoDB JSON"], ["ION", "Amazon Ion"]], "DYNAMODB_JSON");
  const kmsKey = h("input", { type: "text", id: "kms-key", placeholder: "KMS key ID or ARN", spellcheck: "false" });
  const kmsField = field("AWS KMS key", kmsKey, "Ferry records the key; the embedded store does not encrypt objects.");
  kmsField.hidden = true;
  const sse = radios("sse", [["AES256", "Amazon S3 key (SSE-S3)"], ["KMS", "AWS KMS key (SSE-KMS)"]], "AES256", () => { kmsField.hidden = sse.value() !== "KMS"; });

  const status = h("div", { "aria-live": "polite", id: "wizard-error" });
  const go = h("button", { type: "submit", class: "primary", id: "export-submit" }, "Export");

  function request() {
    if (!table) throw new Error("Choose a source table.");
    const dest = parseS3Url(url.value);
    if (!dest) throw new Error("Enter the destination as s3://bucket/prefix.");
    const req = { TableArn: table.TableArn, S3Bucket: dest.bucket, ExportFormat: format.value(), ExportType: type.value(), S3SseAlgorithm: sse.value(), ClientToken: crypto.randomUUID() /* filled per request, as the SDKs do */ };
    if (dest.prefix) req.S3Prefix = dest.prefix;
    if (owner.value() === "other") req.S3BucketOwner = account.value.trim();
    if (sse.value() === "KMS") req.S3SseKmsKeyId = kmsKey.value.trim();
    if (type.value() === "FULL_EXPORT") {
      if (fullWhen.value() === "time") req.ExportTime = parseUtcInput(exportTime.value);
    } else {
      let from;
      let to;
      if (periodMode.value() === "absolute") {
        from = parseUtcInput(fromTime.value);
        to = parseUtcInput(toTime.value);
      } else {
        to = Math.floor(pitr?.LatestRestorableDateTime ?? Date.now() / 1000);
        from = to - Number(relative.value);
      }
      req.IncrementalExportSpecification = { ExportFromTime: from, ExportToTime: to, ExportViewType: viewType.value() };
    }
    return req;
  }

  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      mount(status);
      go.disabled = true;
      try {
        if (type.value() === "INCREMENTAL_EXPORT" && periodMode.value() === "relative") await loadTable();
        const out = await ddb("ExportTableToPointInTime", request());
        toast("Export started.");
        location.hash = `#/exports/${encodeURIComponent(out.ExportDescription.ExportArn)}`;
      } catch (err) {
        mount(status, errorBox(err));
        status.scrollIntoView({ block: "nearest" });
        go.disabled = false;
      }
    },
  },
  h("div", { class: "card" }, h("h2", {}, "Source and destination"), field("Source table", tableSel), windowInfo,
    h("div", { class: "inline" }, field("Destination S3 bucket", url, "s3://bucket/prefix; the prefix is optional."), browse),
    h("h3", {}, "S3 bucket owner"), owner.el, accountField),
  h("div", { class: "card" }, h("h2", {}, "Export settings"), type.el, fullBox, incBox),
  h("div", { class: "card" }, h("h2", {}, "Exported file format"), format.el, h("h3", {}, "Encryption key type"), sse.el, kmsField),
  status, h("div", { class: "actions" }, h("a", { class: "button", href: "#/exports" }, "Cancel"), go));

  mount(ctx.main, h("div", { class: "crumbs" }, link("#/exports", "Exports to S3"), " › Export to S3"),
    pageHeader("Export to S3", [], "Export a table's data to S3 from any point in its point-in-time recovery window."), sectionTabs("exports", true), form);
  if (tableSel.value) await loadTable();
  tableSel.focus();
}

/** The settings of an export, as the details page shows them. */
export function exportSettings(d) {
  const inc = d.IncrementalExportSpecification;
  return details([
    ["Export type", d.ExportType === "INCREMENTAL_EXPORT" ? "Incremental export" : "Full export"],
    d.ExportType !== "INCREMENTAL_EXPORT" ? ["Export time", formatTime(d.ExportTime)] : null,
    inc ? ["Export period start", formatTime(inc.ExportFromTime)] : null,
    inc ? ["Export period end", formatTime(inc.ExportToTime)] : null,
    inc ? ["Export view type", inc.ExportViewType === "NEW_IMAGE" ? "New images only" : "New and old images"] : null,
    ["Exported file format", d.ExportFormat === "ION" ? "Amazon Ion" : "DynamoDB JSON"],
    ["Destination", `s3://${d.S3Bucket}/${d.S3Prefix || ""}`],
    ["S3 bucket owner", d.S3BucketOwner || "This AWS account"],
    ["Encryption", d.S3SseAlgorithm === "KMS" ? `SSE-KMS ${d.S3SseKmsKeyId || ""}` : "SSE-S3 (AES256)"],
    ["Client token", d.ClientToken],
  ]);
}
