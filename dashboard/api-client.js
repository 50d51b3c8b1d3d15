/**
 * The page's only way to the JSON API. Every request goes through `headers()`:
 * the sign-in's token in the cloud, nothing locally (auth.js).
 */
import { authHeaders } from './auth.js';

/** Extra request headers of every API call. */
export async function headers() {
  return authHeaders();
}

/** An API answer that is not 2xx, with the API's own message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET `path` with the query `params` (undefined and empty values left out); resolves to the parsed JSON body. */
export async function getJson(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const url = query.size > 0 ? `${path}?${query}` : path;
  const res = await fetch(url, { headers: { accept: 'application/json', ...(await headers()) } });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, `${res.status} ${res.statusText}: the answer is not JSON`);
  }
  if (!res.ok) throw new ApiError(res.status, body?.error ?? `${res.status} ${res.statusText}`);
  return body;
}
