import assert from "node:assert/strict";
import { test } from "node:test";
import { SchoolListing } from "../../src/core/school-listing.js";

test("which schools list a serial, as schools are written, change and are removed", () => {
  const listing = new SchoolListing();
  listing.set("a", ["S1", "S2"]);
  listing.set("b", ["S2", "S3"]);
  assert.deepEqual(listing.othersListing("S2", "a"), ["b"]);
  assert.deepEqual(listing.othersListing("S2", ""), ["a", "b"]);
  assert.deepEqual(listing.othersListing("S1", "a"), []);
  assert.deepEqual(listing.serialsOf("b"), ["S2", "S3"]);

  listing.set("a", ["S1"]); // a no longer lists S2
  assert.deepEqual(listing.othersListing("S2", ""), ["b"]);
  listing.set("a", ["S1"]); // setting the same list again changes nothing
  assert.deepEqual(listing.othersListing("S1", ""), ["a"]);

  listing.set("b", []); // b removed
  assert.equal(listing.has("S2"), false);
  assert.equal(listing.has("S3"), false);
  assert.equal(listing.has("S1"), true);
  assert.deepEqual(listing.serialsOf("b"), []);
});
