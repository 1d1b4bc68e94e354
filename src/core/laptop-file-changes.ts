// Which laptop files a school's commit writes (issue 17, rule 4): only those whose lines change.
// A laptop file holds the lines of every school file that lists its serial, so it changes with
// this school's value for the serial, and only then: the other schools' lines stay as they are.

export interface LaptopFileChanges {
  /** Serials the school lists now whose value is new or differs from the one in its current file. */
  readonly changed: string[];
  /** Serials its current file lists and it no longer does (not stolen ones: the stolen list removes theirs). */
  readonly dropped: string[];
  /** Serials whose value is byte for byte the one in its current file. */
  readonly unchanged: string[];
}

/**
 * `previous`: the school file's serial → value as read before the run (undefined when it could
 * not be read: every value is then new); `listedBefore`: the serials the listing of leases_dir
 * has for the school.
 */
export function laptopFileChanges(
  previous: ReadonlyMap<string, string> | undefined,
  next: ReadonlyMap<string, string>,
  listedBefore: readonly string[],
  stolen: ReadonlySet<string>,
): LaptopFileChanges {
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const [serial, value] of next) (previous?.get(serial) === value ? unchanged : changed).push(serial);
  const before = new Set([...listedBefore, ...(previous?.keys() ?? [])]);
  const dropped = [...before].filter((serial) => !next.has(serial) && !stolen.has(serial));
  return { changed, dropped, unchanged };
}
