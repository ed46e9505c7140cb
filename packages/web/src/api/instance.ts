/** The page's API client: relative to the page (works under a reverse-proxy sub-path), token from storage. */
import { createApi } from "./client.js";
import { getToken, tokenAccepted } from "./token.js";

export const api = createApi({ baseUrl: document.baseURI, getToken, onTokenAccepted: tokenAccepted });
