// DynamoDB JSON helpers for the console: pure functions (no DOM, no network),
// unit-tested in tests/console/js/ddbjson.test.mjs.
//   - reading an item typed by the user, with a readable error and position;
//   - short display of attribute values in a table cell;
//   - building Query key conditions and Scan/Query filters with placeholders;
//   - formatting sizes and times.

const TYPES = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

/**
 * Parse the editor's text as one item in DynamoDB JSON. Returns {item} or
 * {error, line?, column?}. Only the shape is checked here; the server's
 * validation (and its own message) decides the rest.
 */
export function parseItem(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec(e.message);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split("\n").length;
      const column = Number(pos[1]) - before.lastIndexOf("\n");
      return { error: `Invalid JSON at line ${line}, column ${column}: ${e.message}`, line, column };
    }
    return { error: `Invalid JSON: ${e.message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { error: "An item is a JSON object of attribute names to attribute values, like {\"pk\": {\"S\": \"a\"}}." };
  }
  for (const [name, av] of Object.entries(value)) {
    const problem = checkValue(av);
    if (problem) return { error: `Attribute "${name}": ${problem}` };
  }
  return { item: value };
}

function checkValue(av) {
  if (av === null || typeof av !== "object" || Array.isArray(av)) {
    return 'a value must be an object with one type key, like {"S": "text"} or {"N": "1"}.';
  }
  const keys = Object.keys(av);
  if (keys.length !== 1 || !TYPES.includes(keys[0])) {
    return `a value must have exactly one of the type keys ${TYPES.join(", ")}; found ${keys.join(", ") || "none"}.`;
  }
  const [t] = keys;
  const v = av[t];
  if (t === "M") {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return "M must hold an object.";
    for (const [k, inner] of Object.entries(v)) {
      const p = checkValue(inner);
      if (p) return `in map key "${k}": ${p}`;
    }
  } else if (t === "L") {
    if (!Array.isArray(v)) return "L must hold an array.";
    for (const [i, inner] of v.entries()) {
      const p = checkValue(inner);
      if (p) return `in list element ${i}: ${p}`;
    }
  }
  return null;
}

/** A short one-line rendering of an attribute value for a table cell. */
export function display(av) {
  if (!av || typeof av !== "object") return "";
  const [t] = Object.keys(av);
  const v = av[t];
  switch (t) {
    case "S": case "N": case "B": return String(v);
    case "BOOL": return v ? "true" : "false";
    case "NULL": return "null";
    case "SS": case "NS": case "BS": return `[${v.join(", ")}]`;
    case "L": return `[${v.map(display).join(", ")}]`;
    case "M": return `{${Object.entries(v).map(([k, x]) => `${k}: ${display(x)}`).join(", ")}}`;
    default: return JSON.stringify(av);
  }
}

/** Column names for a page of items: the key attributes first, then the rest by name. */
export function columns(items, keyNames, max = 12) {
  const rest = new Set();
  for (const it of items) for (const k of Object.keys(it)) if (!keyNames.includes(k)) rest.add(k);
  return [...keyNames, ...[...rest].sort()].slice(0, Math.max(max, keyNames.length));
}

/** The primary key of an item for a key schema ([{AttributeName, KeyType}]). */
export function keyOf(item, keySchema) {
  return Object.fromEntries(keySchema.map((k) => [k.AttributeName, item[k.AttributeName]]));
}

/** An attribute value of a scalar key type from the text typed in a form. */
export function scalar(type, text) {
  return { [type]: String(text) };
}

/** Collects placeholders for an expression: #n0, :v0, ... */
export class Expr {
  constructor() {
    this.names = {};
    this.values = {};
    this.n = 0;
    this.v = 0;
  }
  name(n) {
    const found = Object.entries(this.names).find(([, x]) => x === n);
    if (found) return found[0];
    const p = `#n${this.n++}`;
    this.names[p] = n;
    return p;
  }
  value(av) {
    const p = `:v${this.v++}`;
    this.values[p] = av;
    return p;
  }
  /** The placeholder maps to add to a request (only those that are used). */
  params() {
    const out = {};
    if (Object.keys(this.names).length) out.ExpressionAttributeNames = this.names;
    if (Object.keys(this.values).length) out.ExpressionAttributeValues = this.values;
    return out;
  }
}

/** Sort-key operators offered by the Query form, as in DynamoDB's console. */
export const SORT_OPS = ["=", "<", "<=", ">", ">=", "between", "begins_with"];

/**
 * A KeyConditionExpression: partition key equality and an optional sort-key
 * condition ({name, type, op, value, value2}). Adds placeholders to `expr`.
 */
export function keyCondition(expr, pk, sk) {
  let out = `${expr.name(pk.name)} = ${expr.value(scalar(pk.type, pk.value))}`;
  if (sk && sk.op && sk.value !== "") {
    const n = expr.name(sk.name);
    const a = expr.value(scalar(sk.type, sk.value));
    if (sk.op === "between") out += ` AND ${n} BETWEEN ${a} AND ${expr.value(scalar(sk.type, sk.value2 ?? ""))}`;
    else if (sk.op === "begins_with") out += ` AND begins_with(${n}, ${a})`;
    else out += ` AND ${n} ${sk.op} ${a}`;
  }
  return out;
}

/** Filter operators offered by the items explorer. */
export const FILTER_OPS = ["=", "<>", "<", "<=", ">", ">=", "begins_with", "contains", "attribute_exists", "attribute_not_exists"];

/**
 * A FilterExpression from rows {name, type, op, value} joined with AND
 * (rows without a name are ignored). Returns "" when there is none.
 */
export function filterExpression(expr, rows) {
  const parts = [];
  for (const r of rows) {
    if (!r.name) continue;
    const n = expr.name(r.name);
    if (r.op === "attribute_exists" || r.op === "attribute_not_exists") {
      parts.push(`${r.op}(${n})`);
      continue;
    }
    let av;
    if (r.type === "BOOL") av = { BOOL: r.value === "true" };
    else if (r.type === "NULL") av = { NULL: true };
    else av = scalar(r.type, r.value);
    const v = expr.value(av);
    parts.push(r.op === "begins_with" || r.op === "contains" ? `${r.op}(${n}, ${v})` : `${n} ${r.op} ${v}`);
  }
  return parts.join(" AND ");
}

/** 1536 -> "1.5 KB" (binary units, as DynamoDB's console shows sizes). */
export function formatBytes(n) {
  if (n === undefined || n === null || Number.isNaN(Number(n))) return "-";
  let v = Number(n);
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

/** An API timestamp (epoch seconds, possibly fractional) as an ISO-like UTC string. */
export function formatTime(epochSeconds) {
  if (epochSeconds === undefined || epochSeconds === null) return "-";
  const d = new Date(Number(epochSeconds) * 1000);
  if (Number.isNaN(d.getTime())) return "-";
  return d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

/** A `datetime-local` input's value (taken as UTC) to epoch seconds, or null. */
export function parseUtcInput(text) {
  if (!text) return null;
  const ms = Date.parse(text.length === 16 ? `${text}:00Z` : `${text}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** Epoch seconds to a `datetime-local` value in UTC (seconds precision). */
export function toUtcInput(epochSeconds) {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().slice(0, 19);
}

/** Parse `s3://bucket/prefix` into {bucket, prefix}, or null. */
export function parseS3Url(url) {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(String(url).trim());
  return m ? { bucket: m[1], prefix: m[2] } : null;
}
