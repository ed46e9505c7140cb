// Webhook signatures, GitHub's convention: `X-Car-Signature: sha256=<hex HMAC-SHA256 of the body>`.
// Web Crypto (global in Node 20) rather than node:crypto, which the build loads lazily for start-up.

export const SIGNATURE_HEADER = "X-Car-Signature";

/** `sha256=<hex>` of exactly these body bytes under the secret (UTF-8). */
export async function signBody(secret: string, body: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, body));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
