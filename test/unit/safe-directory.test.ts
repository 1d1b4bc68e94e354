// Which directories the program may write into (issue 15 §1), from the facts of a path's chain.
import assert from "node:assert/strict";
import { test } from "node:test";
import { unsafeDirectory, type KernelProtections, type PathChain, type PathStep } from "../../src/core/safe-directory.js";

const SERVICE = 990;
const PROTECTED: KernelProtections = { protectedSymlinks: true, protectedRegular: true };
const dir = (path: string, mode = 0o755, uid = 0): PathStep => ({ path, type: "directory", uid, mode });

/** / → /var → /var/lib → /var/lib/leases (the service user's), with `change` applied to one step. */
function chain(change: Partial<Record<string, Partial<PathStep>>> = {}, missing = false): PathChain {
  const steps = [dir("/"), dir("/var"), dir("/var/lib"), dir("/var/lib/leases", 0o755, SERVICE)].map((step) => ({
    ...step,
    ...change[step.path],
  }));
  return { steps, last: steps.at(-1) as PathStep, missing };
}

test("the service user's or root's directories, writable by their owner only, are safe", () => {
  assert.equal(unsafeDirectory(chain(), SERVICE, PROTECTED), undefined);
  assert.equal(unsafeDirectory(chain({ "/var/lib/leases": { uid: 0, mode: 0o700 } }), SERVICE, PROTECTED), undefined);
  assert.equal(unsafeDirectory(chain({ "/var/lib": { uid: SERVICE } }), SERVICE, PROTECTED), undefined);
});

test("an owner other than root and the service user, anywhere on the way, is named", () => {
  assert.equal(
    unsafeDirectory(chain({ "/var/lib/leases": { uid: 1001 } }), SERVICE, PROTECTED),
    "/var/lib/leases is owned by uid 1001, not by root or the service user (uid 990)",
  );
  assert.match(unsafeDirectory(chain({ "/var": { uid: 1001 } }), SERVICE, PROTECTED) ?? "", /^\/var is owned by uid 1001/);
  const link = chain();
  const linked: PathChain = { ...link, steps: [...link.steps.slice(0, 2), { path: "/var/l", type: "link", uid: 7, mode: 0o777 }] };
  assert.match(unsafeDirectory(linked, SERVICE, PROTECTED) ?? "", /^\/var\/l is owned by uid 7/, "a link followed on the way");
});

test("a directory written into that its group or others can write is unsafe, unless sticky, world-writable and protected", () => {
  const last = (mode: number, kernel = PROTECTED): string | undefined =>
    unsafeDirectory(chain({ "/var/lib/leases": { mode } }), SERVICE, kernel);
  assert.equal(
    last(0o775),
    "/var/lib/leases is writable by its group (mode 0775) and not sticky: another account could plant links where the program writes",
  );
  assert.match(last(0o757) ?? "", /writable by others \(mode 0757\) and not sticky/);
  assert.match(last(0o777) ?? "", /writable by its group and others \(mode 0777\)/);
  assert.equal(last(0o1777), undefined, "like /tmp, with the kernel's protections on");
  assert.match(last(0o1775) ?? "", /mode 1775\) and the kernel's fs\.protected_symlinks covers world-writable sticky directories only/);
  assert.match(last(0o1777, { protectedSymlinks: false, protectedRegular: true }) ?? "", /and the kernel's fs\.protected_symlinks is off/);
  assert.match(
    last(0o1777, { protectedSymlinks: false, protectedRegular: false }) ?? "",
    /the kernel's fs\.protected_symlinks and fs\.protected_regular are off/,
  );
});

test("a directory on the way that others can write is unsafe unless sticky (like /tmp)", () => {
  assert.equal(
    unsafeDirectory(chain({ "/var/lib": { mode: 0o775 } }), SERVICE, PROTECTED),
    "/var/lib is writable by its group (mode 0775): another account could replace what lies under it",
  );
  assert.equal(unsafeDirectory(chain({ "/var/lib": { mode: 0o1777 } }), SERVICE, PROTECTED), undefined);
  const unprotected = { protectedSymlinks: false, protectedRegular: false };
  assert.equal(
    unsafeDirectory(chain({ "/var/lib": { mode: 0o1777 } }), SERVICE, unprotected),
    undefined,
    "no entry of ours can be renamed",
  );
});

test("a directory not there yet: the one it will be created in must be safe and writable by no one else", () => {
  const parent = (mode: number): PathChain => {
    const steps = [dir("/"), dir("/var", mode)];
    return { steps, last: steps[1] as PathStep, missing: true };
  };
  assert.equal(unsafeDirectory(parent(0o755), SERVICE, PROTECTED), undefined);
  assert.equal(
    unsafeDirectory(parent(0o1777), SERVICE, PROTECTED),
    "it does not exist, and /var, where it would be created, is writable by its group and others (mode 1777): another account could create it first",
  );
});

test("a file where the directory should be is left to the write that fails on it; the way there is still checked", () => {
  const file = { path: "/srv/leases", type: "other" as const, uid: 1001, mode: 0o666 };
  const steps = [dir("/"), dir("/srv"), file];
  assert.equal(unsafeDirectory({ steps, last: file, missing: false }, SERVICE, PROTECTED), undefined);
  const open = [dir("/"), dir("/srv", 0o777), file];
  assert.match(
    unsafeDirectory({ steps: open, last: file, missing: false }, SERVICE, PROTECTED) ?? "",
    /^\/srv is writable by its group and others/,
  );
});
