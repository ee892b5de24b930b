// Unit tests of the console's DynamoDB JSON helpers (item editor parsing,
// expression building, formatting). Run: node --test tests/console/js/

import test from "node:test";
import assert from "node:assert/strict";
import {
  parseItem, display, columns, keyOf, Expr, keyCondition, filterExpression,
  formatBytes, formatTime, parseUtcInput, toUtcInput, parseS3Url,
} from "../../../crates/ferry-console/assets/js/ddbjson.js";

test("parseItem accepts DynamoDB JSON items", () => {
  const text = '{"pk": {"S": "a"}, "n": {"N": "1"}, "m": {"M": {"l": {"L": [{"BOOL": true}, {"NULL": true}]}}}, "ss": {"SS": ["x"]}}';
  assert.deepEqual(parseItem(text).item.m, { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } });
});

test("parseItem points at the line and column of a JSON mistake", () => {
  const r = parseItem('{\n  "pk": {"S": "a"},\n}');
  assert.match(r.error, /^Invalid JSON at line 3, column 1: /);
  assert.equal(r.line, 3);
});

test("parseItem names the attribute whose value is not typed", () => {
  assert.equal(parseItem('{"pk": "a"}').error, 'Attribute "pk": a value must be an object with one type key, like {"S": "text"} or {"N": "1"}.');
  assert.equal(parseItem('{"pk": {"X": "a"}}').error,
    'Attribute "pk": a value must have exactly one of the type keys S, N, B, SS, NS, BS, M, L, NULL, BOOL; found X.');
  assert.equal(parseItem('{"m": {"M": {"in": {"S": "a", "N": "1"}}}}').error,
    'Attribute "m": in map key "in": a value must have exactly one of the type keys S, N, B, SS, NS, BS, M, L, NULL, BOOL; found S, N.');
  assert.match(parseItem("[1]").error, /^An item is a JSON object/);
});

test("display renders every type on one line", () => {
  assert.equal(display({ S: "a" }), "a");
  assert.equal(display({ N: "1.5" }), "1.5");
  assert.equal(display({ BOOL: false }), "false");
  assert.equal(display({ NULL: true }), "null");
  assert.equal(display({ NS: ["1", "2"] }), "[1, 2]");
  assert.equal(display({ M: { a: { L: [{ S: "x" }, { N: "2" }] } } }), "{a: [x, 2]}");
  assert.equal(display(undefined), "");
});

test("columns put the keys first, then the other names sorted", () => {
  assert.deepEqual(columns([{ pk: {}, z: {}, a: {} }, { pk: {}, sk: {}, b: {} }], ["pk", "sk"]), ["pk", "sk", "a", "b", "z"]);
  assert.deepEqual(keyOf({ pk: { S: "a" }, x: { N: "1" } }, [{ AttributeName: "pk", KeyType: "HASH" }]), { pk: { S: "a" } });
});

test("key conditions and filters use placeholders for every name and value", () => {
  const e = new Expr();
  const kc = keyCondition(e, { name: "Artist", type: "S", value: "Acme" }, { name: "year", type: "N", op: "between", value: "1", value2: "9" });
  assert.equal(kc, "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
  const f = filterExpression(e, [
    { name: "status", type: "S", op: "begins_with", value: "act" },
    { name: "odd", type: "BOOL", op: "=", value: "true" },
    { name: "gone", op: "attribute_not_exists" },
    { name: "", op: "=", value: "ignored" },
  ]);
  assert.equal(f, "begins_with(#n2, :v3) AND #n3 = :v4 AND attribute_not_exists(#n4)");
  assert.deepEqual(e.params(), {
    ExpressionAttributeNames: { "#n0": "Artist", "#n1": "year", "#n2": "status", "#n3": "odd", "#n4": "gone" },
    ExpressionAttributeValues: { ":v0": { S: "Acme" }, ":v1": { N: "1" }, ":v2": { N: "9" }, ":v3": { S: "act" }, ":v4": { BOOL: true } },
  });
  const only = new Expr();
  assert.equal(keyCondition(only, { name: "pk", type: "S", value: "a" }, { name: "sk", type: "S", op: "<", value: "" }), "#n0 = :v0");
  assert.deepEqual(new Expr().params(), {});
});

test("formatting sizes, times and S3 URLs", () => {
  assert.equal(formatBytes(0), "0 bytes");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(5 * 1024 * 1024), "5.0 MB");
  assert.equal(formatBytes(undefined), "-");
  assert.equal(formatTime(1440938160.25), "2015-08-30 12:36:00 UTC");
  assert.equal(formatTime(undefined), "-");
  assert.equal(parseUtcInput("2015-08-30T12:36"), 1440938160);
  assert.equal(parseUtcInput("2015-08-30T12:36:01"), 1440938161);
  assert.equal(parseUtcInput(""), null);
  assert.equal(toUtcInput(1440938160.9), "2015-08-30T12:36:00");
  assert.deepEqual(parseS3Url("s3://bucket/in/data/"), { bucket: "bucket", prefix: "in/data/" });
  assert.deepEqual(parseS3Url(" s3://bucket "), { bucket: "bucket", prefix: "" });
  assert.equal(parseS3Url("https://bucket/x"), null);
});
