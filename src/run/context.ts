// What a run works with: its effects behind small interfaces, and the values it decides from.
import type { Serial } from "../core/domain.js";
import type { RunProgress } from "../core/progress.js";
import type { Policy } from "../core/school-plan.js";
import type { Inventario } from "../io/inventario-client.js";
import type { Log } from "../io/log.js";
import type { OutputStore } from "../io/output-store.js";
import type { StateStore } from "../io/state-store.js";
import type { SignatureVerifier } from "../signers/lease-verifier.js";
import type { Signer } from "../signers/signer.js";

/** The effects a run works through, and its one reading of the clock. */
export interface RunDeps {
  readonly inventario: Inventario;
  readonly signer: Signer;
  /** Checks the signatures of the leases a regeneration would keep, with the configured public key. */
  readonly verifier: SignatureVerifier;
  readonly outputs: OutputStore;
  readonly state: StateStore;
  readonly log: Log;
  readonly now: Date;
  /** Told how far the run is, after each school (a terminal shows it). */
  readonly onProgress?: ((progress: RunProgress) => void) | undefined;
  /** The run's interruption (SIGTERM, SIGINT, SIGHUP): once aborted, no more work starts. */
  readonly stop?: AbortSignal | undefined;
}

export interface RunContext extends RunDeps {
  readonly policy: Policy;
  readonly dryRun: boolean;
  /** Serials that must not get a lease. */
  readonly stolen: ReadonlySet<Serial>;
  /** Serials recently taken off the stolen list, whose schools may lack their lease. */
  readonly reinstated: ReadonlySet<Serial>;
  /** Called before the first change under leases_dir, so that an interrupted run is swept up later. */
  readonly beforeChange: () => Promise<void>;
}
