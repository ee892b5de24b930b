// AWS Signature Version 4 in the browser (and in Node for the unit tests):
// pure functions over WebCrypto's crypto.subtle. No state, no DOM.
//
// Reference: "Create a signed AWS API request" (canonical request, string to
// sign, signing key, signature). Tested against AWS's SigV4 test suite
// vectors in tests/js/sigv4.test.mjs.

const enc = new TextEncoder();
const subtle = globalThis.crypto.subtle;

/** Lower-case hex of bytes. */
export function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hex SHA-256 of a string or bytes. */
export async function sha256Hex(data) {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return hex(await subtle.digest("SHA-256", bytes));
}

async function hmac(key, data) {
  const k = await subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return subtle.sign("HMAC", k, enc.encode(data));
}

/** URI-encode as SigV4 wants: every byte but A-Z a-z 0-9 - _ . ~ (and `/` when asked). */
export function uriEncode(s, keepSlash) {
  let out = "";
  for (const b of enc.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** `YYYYMMDDTHHMMSSZ` and `YYYYMMDD` of a Date. */
export function amzDate(date) {
  const iso = date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { amzDate: iso, day: iso.slice(0, 8) };
}

/** The canonical query string of already-decoded [key, value] pairs. */
export function canonicalQuery(params) {
  return params
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v ?? "", false)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/**
 * The canonical request. `path` is the decoded path (each segment encoded once,
 * as S3 wants; DynamoDB and Logs always use `/`), `headers` a plain object.
 */
export function canonicalRequest({ method, path, query, headers, payloadHash }) {
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonHeaders = names
    .map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const signed = names.join(";");
  return {
    text: [method, uriEncode(path, true), canonicalQuery(query || []), canonHeaders, signed, payloadHash].join("\n"),
    signedHeaders: signed,
  };
}

/** The string to sign of a canonical request. */
export async function stringToSign(amz, scope, canonical) {
  return ["AWS4-HMAC-SHA256", amz, scope, await sha256Hex(canonical)].join("\n");
}

/** The signing key: HMAC chain over date, region, service, "aws4_request". */
export async function signingKey(secret, day, region, service) {
  const kDate = await hmac("AWS4" + secret, day);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return hmac(kService, "aws4_request");
}

/**
 * Sign a request. Returns the headers to send: the given ones plus
 * `x-amz-date` and `authorization` (and `x-amz-content-sha256` when
 * `contentSha256Header` is set, as S3 requires).
 *
 * @param {object} r  {method, host, path, query: [[k, v]], headers, body,
 *                     region, service, accessKeyId, secretAccessKey, date,
 *                     contentSha256Header}
 */
export async function sign(r) {
  const { amzDate: amz, day } = amzDate(r.date || new Date());
  const payloadHash = await sha256Hex(r.body ?? "");
  const headers = { ...r.headers, host: r.host, "x-amz-date": amz };
  if (r.contentSha256Header) headers["x-amz-content-sha256"] = payloadHash;
  const canon = canonicalRequest({ method: r.method, path: r.path, query: r.query, headers, payloadHash });
  const scope = `${day}/${r.region}/${r.service}/aws4_request`;
  const sts = await stringToSign(amz, scope, canon.text);
  const key = await signingKey(r.secretAccessKey, day, r.region, r.service);
  const signature = hex(await hmac(key, sts));
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${r.accessKeyId}/${scope}, SignedHeaders=${canon.signedHeaders}, Signature=${signature}`;
  // The browser sets Host itself; fetch refuses to be told.
  delete headers.host;
  return headers;
}
