import assert from "node:assert/strict";
import { test } from "node:test";
import { SchoolListing } from "../../src/core/school-listing.js";
import { seeded } from "../support/seeded.js";

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

/** The semantics, as plainly as possible: each serial's schools in the order they began to list it. */
class ReferenceListing {
  private readonly schoolsBySerial = new Map<string, Set<string>>();
  private readonly serialsBySchool = new Map<string, readonly string[]>();

  has(serial: string): boolean {
    return this.schoolsBySerial.has(serial);
  }

  serialsOf(school: string): readonly string[] {
    return this.serialsBySchool.get(school) ?? [];
  }

  othersListing(serial: string, school: string): string[] {
    return [...(this.schoolsBySerial.get(serial) ?? [])].filter((other) => other !== school);
  }

  set(school: string, serials: readonly string[]): void {
    for (const serial of this.serialsOf(school)) {
      const schools = this.schoolsBySerial.get(serial);
      schools?.delete(school);
      if (schools?.size === 0) this.schoolsBySerial.delete(serial);
    }
    if (serials.length === 0) this.serialsBySchool.delete(school);
    else this.serialsBySchool.set(school, [...serials]);
    for (const serial of serials) {
      const schools = this.schoolsBySerial.get(serial) ?? new Set<string>();
      schools.add(school);
      this.schoolsBySerial.set(serial, schools);
    }
  }
}

test("random sequences of set agree with the reference, for real serials and any other string", () => {
  const random = seeded(20130315);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const realSerial = (): string => Array.from({ length: 11 }, () => pick([...alphabet])).join("");
  // Real serials, some in the same bucket (same last two characters); and strings that are not serials.
  const real = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? realSerial().slice(0, 9) + "78" : realSerial()));
  const others = ["S1", "S2", "", "shc12345678", "SHC123456789", "SHC 1234567", "SHC1234567\u00e9"];
  const pool = [...real, ...others];
  const schools = ["a", "b", "c", "school-1.example.org", "school-2.example.org"];
  const listing = new SchoolListing();
  const reference = new ReferenceListing();
  for (let step = 0; step < 3000; step++) {
    const school = pick(schools);
    // Often a school's list again with a few changes (as a run rewrites it), sometimes a new one or none.
    const before = reference.serialsOf(school);
    const kind = pick(["edit", "edit", "new", "realOnly", "remove", "same"]);
    let serials: string[];
    if (kind === "remove") serials = [];
    else if (kind === "same") serials = [...before];
    else if (kind === "edit")
      serials = [...before.filter(() => random() < 0.8), ...Array.from({ length: Math.floor(random() * 6) }, () => pick(pool))];
    else {
      const from = kind === "realOnly" ? real : pool;
      serials = Array.from({ length: Math.floor(random() * 40) }, () => pick(from));
    }
    listing.set(school, serials);
    reference.set(school, serials);
    const where = `step ${step}: set ${school} (${kind}, ${serials.length})`;
    for (const each of schools) assert.deepEqual(listing.serialsOf(each), reference.serialsOf(each), `${where}, serialsOf ${each}`);
    for (const serial of pool) {
      assert.equal(listing.has(serial), reference.has(serial), `${where}, has ${serial}`);
      for (const each of ["", ...schools]) {
        assert.deepEqual(
          listing.othersListing(serial, each),
          reference.othersListing(serial, each),
          `${where}, othersListing ${serial} ${each}`,
        );
      }
    }
  }
});

test("a serial listed by two schools, then by one again, then by none", () => {
  const listing = new SchoolListing();
  listing.set("a", ["SHC12345678", "SHC00000078"]);
  listing.set("b", ["SHC12345678"]);
  assert.deepEqual(listing.othersListing("SHC12345678", ""), ["a", "b"]);
  listing.set("a", ["SHC00000078"]);
  assert.deepEqual(listing.othersListing("SHC12345678", ""), ["b"]);
  listing.set("a", ["SHC12345678", "SHC00000078"]); // a lists it again: after b, as it began later
  assert.deepEqual(listing.othersListing("SHC12345678", ""), ["b", "a"]);
  listing.set("b", []);
  listing.set("a", ["SHC00000078"]);
  assert.equal(listing.has("SHC12345678"), false);
  assert.deepEqual(listing.othersListing("SHC00000078", "b"), ["a"]);
  assert.deepEqual(listing.serialsOf("a"), ["SHC00000078"]);
});
