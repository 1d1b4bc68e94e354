// A set of serials that costs 8 bytes each, so that the sweep's "which laptops does some school
// still list" stays small for a whole country. A serial is its by-laptop bucket (last two
// characters) and the base-36 number of its first nine (below 2^53, so exact as a double).
import { SERIAL_LENGTH, type Serial } from "./domain.js";

const BUCKET = 2;

export class SerialSet {
  private readonly adding = new Map<string, number[]>();
  private readonly sorted = new Map<string, Float64Array>();

  add(serial: Serial): void {
    const bucket = serial.slice(SERIAL_LENGTH - BUCKET);
    const numbers = this.adding.get(bucket);
    if (numbers) numbers.push(numberOf(serial));
    else this.adding.set(bucket, [numberOf(serial)]);
    this.sorted.delete(bucket);
  }

  has(serial: Serial): boolean {
    const numbers = this.bucket(serial.slice(SERIAL_LENGTH - BUCKET));
    const wanted = numberOf(serial);
    let low = 0;
    let high = numbers.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = numbers[middle] as number;
      if (found === wanted) return true;
      if (found < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  /** The bucket's numbers, sorted once after the last add. */
  private bucket(bucket: string): Float64Array {
    let numbers = this.sorted.get(bucket);
    if (!numbers) {
      numbers = Float64Array.from(this.adding.get(bucket) ?? []).sort();
      this.sorted.set(bucket, numbers);
    }
    return numbers;
  }
}

function numberOf(serial: Serial): number {
  return Number.parseInt(serial.slice(0, SERIAL_LENGTH - BUCKET), 36);
}
