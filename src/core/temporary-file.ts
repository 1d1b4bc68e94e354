// The temporary files an interrupted write leaves beside its target (a run killed with -9).
// This program's own are `.<name>.<pid>-<n>.tmp` (io/atomic-file.ts): no school, laptop or state
// file name starts with "." (domain.ts refuses such a hostname; a serial is A-Z 0-9), so such a
// name is never a real file. Builds that wrote through write-file-atomic left `<name>.<number>`,
// the number a 32-bit hash (5 to 10 digits: an IP address's last part has fewer), which is a
// name a school may have too (`escuela.1234567`). Outside by-school/ the target tells them apart
// (a serial, a stolen list, a state file: none ends in digits); under by-school/ such a name is
// taken for a temporary file only if it is no school's (isSchoolTemporary).
const OWN = /^\.(.+)\.\d+-\d+\.tmp$/;
const WRITE_FILE_ATOMIC = /^(.+)\.\d{5,10}$/;

/** The target of one of this program's temporary files; undefined for any other name. */
export function ownTemporaryTarget(name: string): string | undefined {
  return OWN.exec(name)?.[1];
}

/**
 * The name of the file that `name` would be a temporary file for, of either shape; undefined if
 * it has the shape of neither. Only for directories whose files' names never end in digits.
 */
export function temporaryFileTarget(name: string): string | undefined {
  return ownTemporaryTarget(name) ?? WRITE_FILE_ATOMIC.exec(name)?.[1];
}

/** What is known of by-school/ when telling a temporary file from a school's file. */
export interface SchoolDirectory {
  /** The names in by-school/. */
  readonly names: ReadonlySet<string>;
  /**
   * Whether `name` is a school's: one inventario listed, one a state_dir has a checksum for, or
   * a file that reads as a school file. Asked only of write-file-atomic's shape.
   */
  readonly isSchool: (name: string) => boolean;
}

/**
 * The school whose temporary file the by-school/ entry `name` is; undefined if it is not one.
 * This program's own are recognised by their name alone; write-file-atomic's only beside their
 * school's file, and only when the name is no school's.
 */
export function schoolTemporaryTarget(name: string, directory: SchoolDirectory): string | undefined {
  const own = ownTemporaryTarget(name);
  if (own !== undefined) return own;
  const target = WRITE_FILE_ATOMIC.exec(name)?.[1];
  return target !== undefined && directory.names.has(target) && !directory.isSchool(name) ? target : undefined;
}
