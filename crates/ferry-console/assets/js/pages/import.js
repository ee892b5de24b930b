// The "Import from S3" wizard, step for step as AWS's guide describes it:
// 1. source (S3 URL with Browse S3, bucket owner, compression, format and the
// CSV options), 2. the new table's settings, 3. review, then Import.

import { ddb } from "../api.js";
import { h, mount, errorBox, button, field, pageHeader, link, radios, details, toast } from "../ui.js";
import { parseS3Url } from "../ddbjson.js";
import { tableSettings } from "./tables.js";
import { pickS3 } from "./s3picker.js";
import { sectionTabs } from "./imports.js";

const STEPS = ["Import options", "Destination table", "Review and import"];

/** DynamoDB's delimiter rule, as the console states it: one of `[,;:|\t ]`. */
const DELIMITER = /^[,;:|\t ]$/;

export async function wizard(ctx) {
  // Step 1: the source.
  const url = h("input", { type: "text", id: "source-url", placeholder: "s3://bucket/prefix", spellcheck: "false" });
  const browse = button("Browse S3", async () => {
    const picked = await pickS3({ title: "Choose the source (a prefix or an object)" });
    if (picked) url.value = picked;
    url.focus();
  }, { id: "browse-s3" });
  const account = h("input", { type: "text", id: "owner-account", placeholder: "123456789012", inputmode: "numeric" });
  const owner = radios("owner", [["self", "This AWS account"], ["other", "A different AWS account"]], "self", () => { accountField.hidden = owner.value() !== "other"; });
  const accountField = field("Bucket owner's account ID", account);
  accountField.hidden = true;
  const compression = radios("compression", [["NONE", "No compression"], ["GZIP", "GZIP"], ["ZSTD", "ZSTD"]], "NONE");
  const format = radios("format", [["DYNAMODB_JSON", "DynamoDB JSON"], ["ION", "Amazon Ion"], ["CSV", "CSV"]], "DYNAMODB_JSON", () => { csvBox.hidden = format.value() !== "CSV"; });
  const headerList = h("input", { type: "text", id: "csv-headers", placeholder: "pk,title,artist", spellcheck: "false" });
  const header = radios("csv-header", [["first", "Use first line of source file"], ["custom", "Customize your headers"]], "first", () => { headersField.hidden = header.value() !== "custom"; });
  const headersField = field("Headers (comma-separated, case-sensitive)", headerList, "They must contain the key attributes of the new table.");
  headersField.hidden = true;
  const customDelim = h("input", { type: "text", id: "csv-delimiter", maxlength: 2, placeholder: "; or \\t", spellcheck: "false" });
  const delimiter = radios("csv-delim", [["comma", "Comma (,)"], ["custom", "Custom delimiter character"]], "comma", () => { delimField.hidden = delimiter.value() !== "custom"; });
  const delimField = field("Delimiter", customDelim, "One of , ; : | space or tab (type \\t for a tab).");
  delimField.hidden = true;
  const csvBox = h("fieldset", { hidden: true }, h("legend", {}, "CSV options"),
    h("h3", {}, "CSV header"), header.el, headersField, h("h3", {}, "CSV delimiter character"), delimiter.el, delimField);
  const step1 = h("div", {},
    h("div", { class: "card" }, h("h2", {}, "Source S3 URL"),
      h("div", { class: "inline" }, field("Source S3 URL", url, "An object, or a key prefix shared by all the objects to import."), browse),
      h("h3", {}, "S3 bucket owner"), owner.el, accountField),
    h("div", { class: "card" }, h("h2", {}, "Import file compression"), compression.el),
    h("div", { class: "card" }, h("h2", {}, "Import file format"), format.el, csvBox));

  // Step 2: the new table.
  const settings = tableSettings();
  const step2 = h("div", {}, h("div", { class: "alert info" }, "The partition key and sort key must match attributes in the files (names are case-sensitive), or the import fails."), settings.el);

  // Step 3: the review.
  const step3 = h("div", {});
  const status = h("div", { "aria-live": "polite", id: "wizard-error" });
  const stepsEl = h("ol", { class: "steps" });
  const body = h("div", {});
  const back = button("Previous", () => show(step - 1), { id: "prev" });
  const next = button("Next", () => advance(), { primary: true, id: "next" });
  let step = 0;
  let request = null;

  function source() {
    const parsed = parseS3Url(url.value);
    if (!parsed) throw new Error("Enter the source as s3://bucket/prefix.");
    const src = { S3Bucket: parsed.bucket, S3KeyPrefix: parsed.prefix };
    if (owner.value() === "other") src.S3BucketOwner = account.value.trim();
    const req = { S3BucketSource: src, InputFormat: format.value(), InputCompressionType: compression.value() };
    if (req.InputFormat === "CSV") {
      const csv = {};
      if (delimiter.value() === "custom") {
        const d = customDelim.value === "\\t" ? "\t" : customDelim.value;
        if (!DELIMITER.test(d)) throw new Error("The delimiter must match the pattern [,;:|\\t ].");
        csv.Delimiter = d;
      } else {
        csv.Delimiter = ",";
      }
      if (header.value() === "custom") {
        csv.HeaderList = headerList.value.split(",").map((s) => s.trim()).filter(Boolean);
        if (!csv.HeaderList.length) throw new Error("Enter the headers, or use the first line of the file.");
      }
      req.InputFormatOptions = { Csv: csv };
    }
    return req;
  }

  function advance() {
    mount(status);
    try {
      if (step === 0) source();
      if (step === 1) {
        request = { ...source(), TableCreationParameters: settings.value(), ClientToken: crypto.randomUUID() /* filled per request, as the SDKs do */ };
        review();
      }
      if (step === 2) {
        submit();
        return;
      }
      show(step + 1);
    } catch (e) {
      mount(status, errorBox(e));
    }
  }

  function review() {
    const r = request;
    const tp = r.TableCreationParameters;
    const key = (kt) => tp.KeySchema.find((k) => k.KeyType === kt)?.AttributeName;
    const csv = r.InputFormatOptions?.Csv;
    mount(step3,
      h("div", { class: "card" }, h("h2", {}, "Import options"), details([
        ["Source S3 URL", `s3://${r.S3BucketSource.S3Bucket}/${r.S3BucketSource.S3KeyPrefix}`],
        ["S3 bucket owner", r.S3BucketSource.S3BucketOwner || "This AWS account"],
        ["Import file compression", { NONE: "No compression", GZIP: "GZIP", ZSTD: "ZSTD" }[r.InputCompressionType]],
        ["Import file format", { DYNAMODB_JSON: "DynamoDB JSON", ION: "Amazon Ion", CSV: "CSV" }[r.InputFormat]],
        csv ? ["CSV header", csv.HeaderList ? csv.HeaderList.join(", ") : "First line of the source file"] : null,
        csv ? ["CSV delimiter", csv.Delimiter === "\t" ? "Tab" : csv.Delimiter === " " ? "Space" : csv.Delimiter] : null,
      ])),
      h("div", { class: "card" }, h("h2", {}, "Destination table"), details([
        ["Table name", tp.TableName],
        ["Partition key", key("HASH")],
        ["Sort key", key("RANGE") || "-"],
        ["Capacity mode", tp.BillingMode === "PAY_PER_REQUEST" ? "On-demand" : "Provisioned"],
        ["Secondary indexes", (tp.GlobalSecondaryIndexes || []).map((g) => g.IndexName).join(", ") || "-"],
      ])),
      h("details", {}, h("summary", {}, "The ImportTable request"), h("pre", { class: "code" }, JSON.stringify(r, null, 2))));
  }

  async function submit() {
    next.disabled = true;
    try {
      const out = await ddb("ImportTable", request);
      toast(`Import of ${request.TableCreationParameters.TableName} started.`);
      location.hash = `#/imports/${encodeURIComponent(out.ImportTableDescription.ImportArn)}`;
    } catch (e) {
      mount(status, errorBox(e));
      next.disabled = false;
    }
  }

  function show(n) {
    step = n;
    mount(stepsEl, STEPS.map((s, i) => h("li", { class: i === n ? "now" : null, "aria-current": i === n ? "step" : null }, `${i + 1}. ${s}`)));
    mount(body, [step1, step2, step3][n]);
    back.hidden = n === 0;
    next.textContent = n === 2 ? "Import" : "Next";
    next.id = n === 2 ? "import-submit" : "next";
    const first = body.querySelector("input, select, button");
    if (first) first.focus();
  }

  mount(ctx.main, h("div", { class: "crumbs" }, link("#/imports", "Imports from S3"), " › Import from S3"),
    pageHeader("Import from S3", [], "Import data from S3 into a new DynamoDB table."), sectionTabs("imports", true), stepsEl, body, status,
    h("div", { class: "actions" }, h("a", { class: "button", href: "#/imports" }, "Cancel"), back, next));
  show(0);
}
