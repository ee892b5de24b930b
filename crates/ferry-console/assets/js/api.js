// The console's only way to the server: Ferry's public APIs on the same
// origin, each request signed with SigV4 like an SDK would sign it.
//   ddb(op, body)   DynamoDB JSON 1.0 (X-Amz-Target: DynamoDB_20120810.<op>)
//   logs(op, body)  CloudWatch Logs JSON 1.1 (Logs_20140328.<op>)
//   s3.*            S3 path-style REST (ListBuckets, ListObjectsV2, GetObject, PutObject)
// Errors come back as ApiError carrying the service's own code and message.

import { sign, uriEncode, canonicalQuery } from "./sigv4.js";

const KEY = "ferry.console.session";

/** An error answered by a service: its code (`__type` / S3 `Code`), message and HTTP status. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

/** The signed-in credentials ({accessKeyId, secretAccessKey, region}) or null. */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function setSession(s) {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

/** Errors that mean "these credentials are not accepted": the console asks again. */
const AUTH_CODES = new Set([
  "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException",
  "IncompleteSignatureException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied",
]);

export function isAuthError(e) {
  return e instanceof ApiError && AUTH_CODES.has(e.code);
}

let onAuthFailure = () => {};
/** Called when any request fails for its credentials (the app shows the login). */
export function setAuthFailureHandler(f) {
  onAuthFailure = f;
}

async function send({ service, method, path, query = [], headers = {}, body, creds }) {
  const s = creds || session();
  if (!s) throw new ApiError("NotSignedIn", "Sign in first.", 0);
  const signed = await sign({
    method, host: location.host, path, query, headers, body,
    region: s.region, service, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey,
    contentSha256Header: service === "s3",
  });
  const qs = canonicalQuery(query);
  const url = uriEncode(path, true) + (qs ? "?" + qs : "");
  let resp;
  try {
    resp = await fetch(url, { method, headers: signed, body, cache: "no-store" });
  } catch (e) {
    throw new ApiError("NetworkError", `The server cannot be reached (${e.message}).`, 0);
  }
  return resp;
}

async function jsonCall(service, target, contentType, body, creds) {
  const text = JSON.stringify(body || {});
  const resp = await send({
    service, method: "POST", path: "/", body: text, creds,
    headers: { "content-type": contentType, "x-amz-target": target },
  });
  const out = await resp.text();
  let json = {};
  try {
    json = out ? JSON.parse(out) : {};
  } catch {
    throw new ApiError("InternalServerError", `Unreadable answer (HTTP ${resp.status}).`, resp.status);
  }
  if (!resp.ok) {
    const type = String(json.__type || "UnknownError");
    const err = new ApiError(type.slice(type.lastIndexOf("#") + 1), json.message || json.Message || "", resp.status);
    if (isAuthError(err) && !creds) onAuthFailure(err);
    throw err;
  }
  return json;
}

/** A DynamoDB operation; `creds` overrides the session (used by the login form). */
export function ddb(op, body, creds) {
  return jsonCall("dynamodb", `DynamoDB_20120810.${op}`, "application/x-amz-json-1.0", body, creds);
}

/** A CloudWatch Logs operation. */
export function logs(op, body) {
  return jsonCall("logs", `Logs_20140328.${op}`, "application/x-amz-json-1.1", body);
}

async function s3Error(resp) {
  const text = await resp.text();
  const doc = text ? new DOMParser().parseFromString(text, "application/xml") : null;
  const pick = (tag) => doc?.getElementsByTagName(tag)[0]?.textContent || "";
  const err = new ApiError(pick("Code") || `HTTP${resp.status}`, pick("Message") || resp.statusText, resp.status);
  if (isAuthError(err)) onAuthFailure(err);
  return err;
}

function xmlList(doc, parent, tag) {
  return Array.from(doc.getElementsByTagName(parent)).map((el) => {
    const out = {};
    for (const t of tag) out[t] = el.getElementsByTagName(t)[0]?.textContent ?? "";
    return out;
  });
}

export const s3 = {
  /** [{Name, CreationDate}] */
  async listBuckets() {
    const resp = await send({ service: "s3", method: "GET", path: "/" });
    if (!resp.ok) throw await s3Error(resp);
    const doc = new DOMParser().parseFromString(await resp.text(), "application/xml");
    return xmlList(doc, "Bucket", ["Name", "CreationDate"]);
  },

  /** One page of ListObjectsV2 with "/" as delimiter: {prefixes, objects, next}. */
  async listObjects(bucket, prefix, token, maxKeys = 200) {
    const query = [["list-type", "2"], ["delimiter", "/"], ["prefix", prefix || ""], ["max-keys", String(maxKeys)]];
    if (token) query.push(["continuation-token", token]);
    const resp = await send({ service: "s3", method: "GET", path: `/${bucket}`, query });
    if (!resp.ok) throw await s3Error(resp);
    const doc = new DOMParser().parseFromString(await resp.text(), "application/xml");
    const objects = xmlList(doc, "Contents", ["Key", "Size", "LastModified"]).map((o) => ({ ...o, Size: Number(o.Size) }));
    const prefixes = xmlList(doc, "CommonPrefixes", ["Prefix"]).map((p) => p.Prefix);
    const next = doc.getElementsByTagName("NextContinuationToken")[0]?.textContent || null;
    return { prefixes, objects, next };
  },

  /** The first `limit` bytes of an object: {bytes: Uint8Array, size, contentType}. */
  async getObject(bucket, key, limit = 256 * 1024) {
    const resp = await send({
      service: "s3", method: "GET", path: `/${bucket}/${key}`, headers: { range: `bytes=0-${limit - 1}` },
    });
    // An empty object has no byte 0: S3 answers 416 to the range.
    if (resp.status === 416) return { bytes: new Uint8Array(), size: 0, contentType: null };
    if (!resp.ok) throw await s3Error(resp);
    const range = resp.headers.get("content-range");
    const size = range ? Number(range.split("/")[1]) : Number(resp.headers.get("content-length"));
    return { bytes: new Uint8Array(await resp.arrayBuffer()), size, contentType: resp.headers.get("content-type") };
  },

  async putObject(bucket, key, bytes, contentType = "application/octet-stream") {
    const resp = await send({
      service: "s3", method: "PUT", path: `/${bucket}/${key}`, body: bytes, headers: { "content-type": contentType },
    });
    if (!resp.ok) throw await s3Error(resp);
  },

  async createBucket(bucket) {
    const resp = await send({ service: "s3", method: "PUT", path: `/${bucket}` });
    if (!resp.ok) throw await s3Error(resp);
  },
};
