// Which school files list which serials, for the whole of leases_dir. A laptop file holds the
// lines of every school file that lists its serial, so writing, revoking or removing one school
// needs to know the others that list the same laptops; and the sweep keeps exactly the laptop
// files of listed serials. Built from the school files once per run that changes anything.

export class SchoolListing {
  /** serial → the one school listing it, or the schools when several do (rare). */
  private readonly schoolsBySerial = new Map<string, string | string[]>();
  private readonly serialsBySchool = new Map<string, readonly string[]>();

  has(serial: string): boolean {
    return this.schoolsBySerial.has(serial);
  }

  serialsOf(school: string): readonly string[] {
    return this.serialsBySchool.get(school) ?? [];
  }

  /** The schools other than `school` whose files list `serial`. */
  othersListing(serial: string, school: string): string[] {
    const schools = this.schoolsBySerial.get(serial);
    if (schools === undefined) return [];
    return (typeof schools === "string" ? [schools] : schools).filter((other) => other !== school);
  }

  /** Records what `school`'s file lists now (nothing, once it is removed). */
  set(school: string, serials: readonly string[]): void {
    for (const serial of this.serialsOf(school)) this.unlist(serial, school);
    if (serials.length === 0) this.serialsBySchool.delete(school);
    else this.serialsBySchool.set(school, serials);
    for (const serial of serials) this.list(serial, school);
  }

  private list(serial: string, school: string): void {
    const schools = this.schoolsBySerial.get(serial);
    if (schools === undefined) this.schoolsBySerial.set(serial, school);
    else if (typeof schools === "string") {
      if (schools !== school) this.schoolsBySerial.set(serial, [schools, school]);
    } else if (!schools.includes(school)) schools.push(school);
  }

  private unlist(serial: string, school: string): void {
    const schools = this.schoolsBySerial.get(serial);
    if (schools === school) this.schoolsBySerial.delete(serial);
    else if (Array.isArray(schools)) {
      const left = schools.filter((other) => other !== school);
      this.schoolsBySerial.set(serial, left.length === 1 ? (left[0] as string) : left);
    }
  }
}
