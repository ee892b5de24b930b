// Unit tests of the console's SigV4 signer against AWS's published vectors
// (the SigV4 test suite's get-vanilla, get-vanilla-query-order-key-case and
// post-vanilla, and the S3 API reference's "GET Object" example).
// Run: node --test tests/console/js/

import test from "node:test";
import assert from "node:assert/strict";
import { sign, uriEncode, canonicalQuery } from "../../../crates/ferry-console/assets/js/sigv4.js";

const suite = {
  host: "example.amazonaws.com",
  region: "us-east-1",
  service: "service",
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  date: new Date("2015-08-30T12:36:00Z"),
  path: "/",
  headers: {},
};

test("get-vanilla", async () => {
  const h = await sign({ ...suite, method: "GET" });
  assert.equal(h["x-amz-date"], "20150830T123600Z");
  assert.equal(
    h.authorization,
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
      "SignedHeaders=host;x-amz-date, " +
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  );
  assert.equal(h.host, undefined, "the browser sets Host itself");
});

test("get-vanilla-query-order-key-case", async () => {
  const h = await sign({ ...suite, method: "GET", query: [["Param2", "value2"], ["Param1", "value1"]] });
  assert.match(h.authorization, /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/);
});

test("post-vanilla", async () => {
  const h = await sign({ ...suite, method: "POST" });
  assert.match(h.authorization, /Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b$/);
});

test("S3 API reference: GET Object with a Range header", async () => {
  const h = await sign({
    method: "GET",
    host: "examplebucket.s3.amazonaws.com",
    path: "/test.txt",
    headers: { range: "bytes=0-9" },
    region: "us-east-1",
    service: "s3",
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    date: new Date("2013-05-24T00:00:00Z"),
    contentSha256Header: true,
  });
  assert.equal(h["x-amz-content-sha256"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(
    h.authorization,
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  );
});

test("URI encoding keeps only unreserved characters", () => {
  assert.equal(uriEncode("a b/ü*~", false), "a%20b%2F%C3%BC%2A~");
  assert.equal(uriEncode("/in/a b.csv", true), "/in/a%20b.csv");
  assert.equal(canonicalQuery([["prefix", "in/"], ["list-type", "2"], ["delimiter", "/"]]),
    "delimiter=%2F&list-type=2&prefix=in%2F");
});
