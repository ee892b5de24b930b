// The Exports tab: every export of the last 90 days with live status, and an
// export's details (all settings, counts, failure) with links to browse its
// files in S3 (manifest-summary.json, manifest-files.json, data/).

import { ddb } from "../api.js";
import { h, mount, errorBox, empty, details, badge, pageHeader, link, table } from "../ui.js";
import { formatBytes, formatTime } from "../ddbjson.js";
import { sectionTabs, tableName } from "./imports.js";
import { exportSettings } from "./export.js";

const NINETY_DAYS = 90 * 24 * 3600;
const enc = encodeURIComponent;

async function allExports() {
  const out = [];
  let token;
  do {
    const r = await ddb("ListExports", { MaxResults: 25, ...(token ? { NextToken: token } : {}) });
    out.push(...(r.ExportSummaries || []));
    token = r.NextToken;
  } while (token);
  const described = await Promise.all(out.map((s) => ddb("DescribeExport", { ExportArn: s.ExportArn }).then((r) => r.ExportDescription, () => s)));
  const since = Date.now() / 1000 - NINETY_DAYS;
  return described.filter((d) => !d.StartTime || d.StartTime >= since).sort((a, b) => (b.StartTime || 0) - (a.StartTime || 0));
}

export async function list(ctx) {
  const body = h("div", {});
  mount(ctx.main, pageHeader("Exports to S3", [h("a", { class: "button primary", href: "#/exports/new", id: "new-export" }, "Export to S3")],
    "Every export of the last 90 days. Choose an export to see its settings and browse its files."), sectionTabs("exports"), body);
  async function load() {
    let list;
    try {
      list = await allExports();
    } catch (e) {
      if (ctx.alive()) mount(body, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    if (!list.length) {
      mount(body, empty("No exports in the last 90 days.", h("a", { class: "button primary", href: "#/exports/new" }, "Export to S3")));
      return;
    }
    mount(body, table([
      ["Export ARN", (d) => link(`#/exports/${enc(d.ExportArn)}`, d.ExportArn.split("/export/")[1] || d.ExportArn, { class: "mono", title: d.ExportArn })],
      ["Status", (d) => badge(d.ExportStatus)],
      ["Table", (d) => tableName(d.TableArn || d.ExportArn)],
      ["Type", (d) => (d.ExportType === "INCREMENTAL_EXPORT" ? "Incremental" : "Full")],
      ["Destination", (d) => (d.S3Bucket ? `s3://${d.S3Bucket}/${d.S3Prefix || ""}` : "-")],
      ["Started", (d) => formatTime(d.StartTime)],
      ["Items", (d) => String(d.ItemCount ?? "-")],
    ], list, { id: "exports" }));
  }
  await load();
  ctx.every(2000, () => {
    if (body.querySelector('[data-status="IN_PROGRESS"]')) load();
  });
}

export async function detail(ctx, arn) {
  const id = arn.split("/export/")[1] || arn;
  const body = h("div", {});
  mount(ctx.main, h("div", { class: "crumbs" }, link("#/exports", "Exports to S3"), ` › ${id}`), body);
  let status = "";
  async function load() {
    let d;
    try {
      d = (await ddb("DescribeExport", { ExportArn: arn })).ExportDescription;
    } catch (e) {
      if (ctx.alive()) mount(body, errorBox(e));
      return;
    }
    if (!ctx.alive()) return;
    status = d.ExportStatus;
    const manifest = d.ExportManifest;
    const folder = manifest ? manifest.slice(0, manifest.lastIndexOf("/") + 1) : null;
    const obj = (key, text, extra = {}) => link(`#/object/${enc(d.S3Bucket)}/${enc(key)}`, text, extra);
    const name = tableName(d.TableArn);
    mount(body, pageHeader(`Export ${id}`, [link(`#/tables/${enc(name)}`, `Open table ${name}`, { class: "button" })], d.ExportArn),
      h("div", { class: "card" }, h("h2", {}, "Status"),
        h("p", {}, badge(d.ExportStatus), d.ExportStatus === "IN_PROGRESS" ? h("span", { class: "hint" }, "  updating live…") : null),
        d.FailureCode || d.FailureMessage ? h("div", { class: "alert error", role: "alert", id: "failure" }, h("strong", {}, d.FailureCode || "Failure"), ": ", d.FailureMessage || "") : null,
        details([
          ["Items exported", String(d.ItemCount ?? "-")],
          ["Billed size", formatBytes(d.BilledSizeBytes)],
          ["Start time", formatTime(d.StartTime)],
          ["End time", formatTime(d.EndTime)],
          ["Table ARN", h("span", { class: "mono" }, d.TableArn)],
        ])),
      h("div", { class: "card" }, h("h2", {}, "Export settings"), exportSettings(d)),
      h("div", { class: "card", id: "export-files" }, h("h2", {}, "Exported files"),
        manifest && d.ExportStatus === "COMPLETED"
          ? h("ul", {},
            h("li", {}, obj(manifest, "manifest-summary.json", { id: "manifest-summary" }), h("span", { class: "hint" }, " the export's summary: counts, times, where the files are")),
            h("li", {}, obj(`${folder}manifest-files.json`, "manifest-files.json", { id: "manifest-files" }), h("span", { class: "hint" }, " one line per data file")),
            h("li", {}, link(`#/s3/${enc(d.S3Bucket)}/${enc(`${folder}data/`)}`, "data/", { id: "data-folder" }), h("span", { class: "hint" }, " the data files")),
            h("li", {}, link(`#/s3/${enc(d.S3Bucket)}/${enc(folder)}`, `s3://${d.S3Bucket}/${folder}`), h("span", { class: "hint" }, " the whole export folder")))
          : h("p", { class: "hint" }, d.ExportStatus === "IN_PROGRESS" ? "The files appear when the export completes." : "This export wrote no files.")));
  }
  await load();
  ctx.every(2000, () => {
    if (status === "IN_PROGRESS") load();
  });
}
