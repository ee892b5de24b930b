// S3 over the embedded store: the "Browse S3" picker used by the import and
// export wizards, and the S3 pages (buckets, a folder view with upload, and an
// object viewer that shows text, gzip-compressed text included).

import { s3 } from "../api.js";
import { h, mount, errorBox, empty, button, field, pageHeader, link, table, dialog, toast } from "../ui.js";
import { formatBytes } from "../ddbjson.js";

const enc = encodeURIComponent;

/**
 * A listing of one bucket's "folder": sub-prefixes then objects, a page at a
 * time. `on.prefix(p)` / `on.object(key)` / `on.up()` are called on choice.
 */
function listing(bucket, prefix, on) {
  const el = h("div", { class: "s3-listing" }, h("p", { class: "loading" }, "Loading…"));
  let token = null;
  const rows = [];
  async function load() {
    let page;
    try {
      page = await s3.listObjects(bucket, prefix, token);
    } catch (e) {
      mount(el, errorBox(e));
      return;
    }
    token = page.next;
    rows.push(...page.prefixes.map((p) => ({ kind: "folder", key: p })), ...page.objects.filter((o) => o.Key !== prefix).map((o) => ({ kind: "object", ...o, key: o.Key })));
    const name = (r) => r.key.slice(prefix.length) || r.key;
    mount(el,
      h("div", { class: "path" }, `s3://${bucket}/${prefix}`),
      !rows.length ? empty("This folder is empty.") : table([
        ["Name", (r) => button(name(r), () => (r.kind === "folder" ? on.prefix(r.key) : on.object(r.key)), { id: null })],
        ["Type", (r) => (r.kind === "folder" ? "Folder" : "Object")],
        ["Size", (r) => (r.kind === "folder" ? "-" : formatBytes(r.Size))],
        ["Last modified", (r) => (r.kind === "folder" ? "-" : r.LastModified.replace("T", " ").replace(/\.\d+Z$/, " UTC"))],
      ], rows, { class: "s3-table" }),
      token ? button("Load more", load, { id: "s3-more" }) : null);
    for (const b of el.querySelectorAll("tbody button")) b.classList.add("link", "s3-entry");
  }
  load();
  return el;
}

/** The bucket list as a table; `open(bucket)` on choice. */
async function bucketTable(open) {
  const list = await s3.listBuckets();
  if (!list.length) return empty("No buckets yet.");
  const t = table([
    ["Bucket", (b) => button(b.Name, () => open(b.Name), { id: null })],
    ["Created", (b) => b.CreationDate.replace("T", " ").replace(/\.\d+Z$/, " UTC")],
  ], list, { class: "s3-table" });
  for (const b of t.querySelectorAll("tbody button")) b.classList.add("link", "s3-entry");
  return t;
}

/**
 * "Browse S3": a dialog to choose a bucket, a prefix or (when `objects`) an
 * object. Resolves with an `s3://bucket/prefix` URL, or undefined.
 */
export function pickS3({ title = "Browse S3", objects = true } = {}) {
  return dialog(title, (close) => {
    const body = h("div", {});
    const chosen = h("span", { class: "path", id: "picked" }, "Nothing chosen yet");
    let url = null;
    const choose = h("button", { type: "button", class: "primary", disabled: true, id: "pick-choose", onclick: () => close(url) }, "Choose");
    const setUrl = (u) => {
      url = u;
      chosen.textContent = u;
      choose.disabled = false;
    };
    async function showBuckets() {
      mount(body, h("p", { class: "loading" }, "Loading…"));
      try {
        mount(body, await bucketTable(open));
      } catch (e) {
        mount(body, errorBox(e));
      }
    }
    function open(bucket, prefix = "") {
      setUrl(`s3://${bucket}/${prefix}`);
      const up = prefix ? prefix.slice(0, prefix.slice(0, -1).lastIndexOf("/") + 1) : null;
      mount(body, h("div", { class: "actions" }, button("‹ Buckets", showBuckets), up !== null ? button("‹ Up", () => open(bucket, up)) : null),
        listing(bucket, prefix, {
          prefix: (p) => open(bucket, p),
          object: (k) => (objects ? setUrl(`s3://${bucket}/${k}`) : null),
        }));
    }
    showBuckets();
    return h("div", {}, body, h("div", { class: "actions" }, h("span", {}, "Chosen: "), chosen, button("Cancel", () => close(undefined)), choose));
  }, { wide: true });
}

export async function buckets(ctx) {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const nameInput = h("input", { type: "text", id: "bucket-name", placeholder: "new-bucket-name", spellcheck: "false" });
  const status = h("div", {});
  const create = h("form", {
    class: "card inline",
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await s3.createBucket(nameInput.value.trim());
        toast(`Bucket ${nameInput.value.trim()} created.`);
        load();
        mount(status);
      } catch (err) {
        mount(status, errorBox(err));
      }
    },
  }, field("Create a bucket", nameInput), h("button", { type: "submit", class: "primary" }, "Create bucket"), status);
  mount(ctx.main, pageHeader("S3 buckets", [], "The embedded S3 store on this server: sources for imports and destinations for exports."), create, body);
  async function load() {
    try {
      mount(body, await bucketTable((b) => { location.hash = `#/s3/${enc(b)}/`; }));
    } catch (e) {
      mount(body, errorBox(e));
    }
  }
  await load();
}

export async function browse(ctx, bucket, prefix = "") {
  const up = prefix ? prefix.slice(0, prefix.slice(0, -1).lastIndexOf("/") + 1) : null;
  const file = h("input", { type: "file", id: "upload-file", multiple: true });
  const status = h("div", { "aria-live": "polite" });
  const upload = h("form", {
    class: "card inline",
    onsubmit: async (e) => {
      e.preventDefault();
      for (const f of file.files) {
        try {
          await s3.putObject(bucket, prefix + f.name, new Uint8Array(await f.arrayBuffer()), f.type || "application/octet-stream");
          toast(`Uploaded ${f.name}.`);
        } catch (err) {
          mount(status, errorBox(err));
          return;
        }
      }
      route();
    },
  }, field(`Upload files to s3://${bucket}/${prefix}`, file), h("button", { type: "submit", class: "primary", id: "upload" }, "Upload"), status);
  const route = () => mount(list, listing(bucket, prefix, {
    prefix: (p) => { location.hash = `#/s3/${enc(bucket)}/${enc(p)}`; },
    object: (k) => { location.hash = `#/object/${enc(bucket)}/${enc(k)}`; },
  }));
  const list = h("div", {});
  mount(ctx.main, h("div", { class: "crumbs" }, link("#/s3", "S3 buckets"), ` › ${bucket}`),
    pageHeader(prefix ? `${bucket}/${prefix}` : bucket, [up !== null ? h("a", { class: "button", href: `#/s3/${enc(bucket)}/${enc(up)}` }, "‹ Up") : null]),
    list, upload);
  route();
}

/** Text of bytes, gunzipped first when they are gzip (magic 1f 8b). */
async function readable(bytes) {
  if (bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b && typeof DecompressionStream === "function") {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return { text: await new Response(stream).text(), note: "gzip, shown decompressed" };
    } catch {
      return { text: "(a gzip file that is cut short in this preview; download it with an S3 client to read it whole)", note: "gzip" };
    }
  }
  return { text: new TextDecoder().decode(bytes), note: null };
}

export async function object(ctx, bucket, key) {
  const folder = key.slice(0, key.lastIndexOf("/") + 1);
  const o = await s3.getObject(bucket, key);
  if (!ctx.alive()) return;
  const { text, note } = await readable(o.bytes);
  let shown = text;
  if (/\.json$/.test(key)) {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      shown = text;
    }
  }
  const cut = o.size > o.bytes.length;
  mount(ctx.main, h("div", { class: "crumbs" }, link("#/s3", "S3 buckets"), " › ", link(`#/s3/${enc(bucket)}/${enc(folder)}`, `${bucket}/${folder}`)),
    pageHeader(key.slice(folder.length), [], `s3://${bucket}/${key}`),
    h("p", { class: "hint" }, `${formatBytes(o.size)}${note ? ` · ${note}` : ""}${cut ? ` · the first ${formatBytes(o.bytes.length)} are shown` : ""}`),
    h("pre", { class: "code", id: "object-text" }, shown));
}
