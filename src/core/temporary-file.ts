// The temporary files an interrupted write leaves beside its target (a run killed with -9):
// write-file-atomic's `<name>.<number>`, the number a 32-bit hash of pid, thread and count, and
// version 1.0's `.<name>.<pid>-<n>.tmp`. A name of that shape may still be a real file (a school
// named `10.1.2.3`), so whoever sweeps checks the target against what it owns; the number must
// also have 5 to 10 digits, which an IP address's last part never has and a hash has but for a
// chance of one in 40,000.
const TEMPORARY = [/^(.+)\.\d{5,10}$/, /^\.(.+)\.\d+-\d+\.tmp$/];

/** The name of the file that `name` would be a temporary file for; undefined if it has not the shape of one. */
export function temporaryFileTarget(name: string): string | undefined {
  for (const pattern of TEMPORARY) {
    const target = pattern.exec(name)?.[1];
    if (target !== undefined) return target;
  }
  return undefined;
}
