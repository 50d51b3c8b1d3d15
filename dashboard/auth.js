/**
 * Sign-in for the dashboard in the cloud; nothing to do locally.
 *
 * `authHeaders()` answers the headers every API call must carry:
 * - `{}` when `/config.json` is absent or names no sign-in (`ticklake dashboard`
 *   on a laptop serves `{}`);
 * - otherwise `{ <header>: 'Bearer <Cognito ID token>' }`, signing the user in
 *   first through the user pool's sign-in page (OAuth 2.0 authorization code
 *   with PKCE; no client secret in a page). Tokens live in sessionStorage, so
 *   they end with the tab. The header is `config.auth.header`
 *   (`x-ticklake-authorization`): CloudFront signs its calls to the API in
 *   `Authorization`, replacing whatever the page sent there.
 *
 * Self-contained: no imports, no globals besides the browser's.
 */

const TOKENS_KEY = 'ticklake.dashboard.tokens';
const PENDING_KEY = 'ticklake.dashboard.signin';
// Renew a token this long before it expires, so a call never leaves with a stale one.
const EXPIRY_MARGIN_MS = 60_000;

/** @type {Promise<{ auth?: { domain?: string, clientId?: string, header?: string } } | null> | undefined} */
let configPromise;
/** @type {Promise<string> | undefined} */
let inflight;

function loadConfig() {
  configPromise ??= fetch('/config.json', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null);
  return configPromise;
}

/** @param {ArrayBuffer | Uint8Array} bytes */
function base64Url(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function randomText() {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The claims of a JWT (read only for its expiry: the API verifies the signature). */
function claims(jwt) {
  const part = jwt.split('.')[1] ?? '';
  const json = atob(
    part
      .replaceAll('-', '+')
      .replaceAll('_', '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '='),
  );
  return JSON.parse(json);
}

const redirectUri = () => `${location.origin}/`;

function readTokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS_KEY) ?? 'null');
  } catch {
    return null;
  }
}

function fresh(tokens) {
  return typeof tokens?.id_token === 'string' && claims(tokens.id_token).exp * 1000 > Date.now() + EXPIRY_MARGIN_MS;
}

async function tokenRequest(auth, fields) {
  const r = await fetch(`${auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: auth.clientId, ...fields }),
  });
  if (!r.ok) throw new Error(`sign-in failed: the token endpoint answered HTTP ${r.status}`);
  const tokens = await r.json();
  // A refresh answers no new refresh token: keep the one we have.
  const kept = { refresh_token: readTokens()?.refresh_token, ...tokens };
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(kept));
  return kept;
}

/** Leaves for the sign-in page; the promise never settles (the page unloads). */
async function redirectToSignIn(auth) {
  const verifier = randomText();
  const state = randomText();
  const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, back: location.pathname + location.search + location.hash }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${auth.domain}/oauth2/authorize?${query}`);
  return new Promise(() => {});
}

/** Back from the sign-in page with `?code=…&state=…`: the code for tokens, then the address the user was at. */
async function finishSignIn(auth) {
  const query = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(PENDING_KEY);
  if (!pending || pending.state !== query.get('state')) return null;
  const tokens = await tokenRequest(auth, {
    grant_type: 'authorization_code',
    code: query.get('code') ?? '',
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
  history.replaceState(null, '', pending.back || '/');
  return tokens;
}

async function idToken(auth) {
  let tokens = readTokens();
  if (fresh(tokens)) return tokens.id_token;
  if (new URLSearchParams(location.search).has('code')) tokens = await finishSignIn(auth);
  if (!fresh(tokens) && tokens?.refresh_token) {
    tokens = await tokenRequest(auth, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).catch(() => null);
  }
  if (!fresh(tokens)) {
    sessionStorage.removeItem(TOKENS_KEY);
    return redirectToSignIn(auth);
  }
  return tokens.id_token;
}

/**
 * The headers an API call must carry: `{}` without a sign-in configured, else
 * the bearer ID token (signing in first when there is none).
 * @returns {Promise<Record<string, string>>}
 */
export async function authHeaders() {
  const auth = (await loadConfig())?.auth;
  if (!auth?.domain || !auth?.clientId) return {};
  // Panels ask at once: one sign-in (one code exchange, one refresh) for all of them.
  inflight ??= idToken(auth).finally(() => {
    inflight = undefined;
  });
  return { [auth.header ?? 'x-ticklake-authorization']: `Bearer ${await inflight}` };
}

/** Forgets the tokens and signs out of the user pool (then back to the page, which asks to sign in again). */
export async function signOut() {
  const auth = (await loadConfig())?.auth;
  sessionStorage.removeItem(TOKENS_KEY);
  if (!auth?.domain || !auth?.clientId) return;
  location.assign(`${auth.domain}/logout?${new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri() })}`);
}
