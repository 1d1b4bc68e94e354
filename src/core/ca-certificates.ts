// What `ca_file` must hold: PEM certificates, each of which parses. A file that holds none (a
// private key, a DER file, an empty file) would otherwise be accepted and every https request
// would then fail as "self-signed certificate", far from the cause.
import { X509Certificate } from "node:crypto";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/g;

/** Why `text` is not a usable ca_file, or undefined when it is. */
export function caFileProblem(text: string): string | undefined {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate ("-----BEGIN CERTIFICATE-----")';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `holds a PEM certificate that cannot be read (number ${i + 1} in the file)`;
    }
  }
  return undefined;
}
