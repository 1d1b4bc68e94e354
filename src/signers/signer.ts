// What the run needs from a signer: a whole school's leases at once, so that an
// implementation can spread the batch over cores or processes.
import type { Expiry, Laptop } from "../core/domain.js";

export interface Signer {
  /**
   * One lease line per laptop, in the laptops' order. Rejects with a SignerError naming the
   * first laptop that could not be signed; then nothing of the batch is used.
   */
  signSchool(laptops: readonly Laptop[], expiry: Expiry): Promise<string[]>;
  /** Stops workers or processes; the signer is unusable afterwards. */
  close(): Promise<void>;
}
