import type * as Crypto from "node:crypto";
import { createRequire } from "node:module";

/**
 * Build-time stand-in for `node:crypto` (tsup.config.ts aliases it): loading node:crypto costs ~5 ms,
 * about a fifth of a read-only command's start-up, and only writes (temp names, lock tokens, etags)
 * need it. It is loaded on first use, and these wrappers call the real functions. A crypto export
 * not listed here fails the build ("No matching export"), so nothing is silently missing.
 */
const require = createRequire(import.meta.url);
let loaded: typeof Crypto | undefined;
const crypto = (): typeof Crypto => {
  loaded ??= require("node:crypto") as typeof Crypto;
  return loaded;
};

export const randomBytes = ((...args: Parameters<typeof Crypto.randomBytes>) =>
  crypto().randomBytes(...args)) as typeof Crypto.randomBytes;
export const createHash = ((...args: Parameters<typeof Crypto.createHash>) =>
  crypto().createHash(...args)) as typeof Crypto.createHash;
