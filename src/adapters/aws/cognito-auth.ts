/**
 * Sign-in for the cloud dashboard's API: a Hono middleware that accepts a
 * request only with a valid Cognito ID token of the dashboard's user pool and
 * app client, verified against the pool's published keys (`hono/jwk`).
 *
 * The token travels in {@link DASHBOARD_TOKEN_HEADER}, not `Authorization`:
 * CloudFront's origin access control signs each request to the function URL
 * with SigV4 in the `Authorization` header, replacing whatever the page sent.
 */
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { jwk } from 'hono/jwk';

/** The pool's public keys, as `hono/jwk` takes them. */
type KeySet = Extract<NonNullable<Parameters<typeof jwk>[0]['keys']>, readonly unknown[]>;

/** The request header carrying `Bearer <Cognito ID token>`. */
export const DASHBOARD_TOKEN_HEADER = 'x-ticklake-authorization';

export interface CognitoAuthOptions {
  /** Region of the user pool, e.g. `eu-west-1`. */
  readonly region: string;
  readonly userPoolId: string;
  /** The app client the page signs in with (the ID token's audience); unchecked when absent. */
  readonly clientId?: string;
  /** How long the fetched keys are kept, ms. Default one hour. */
  readonly keysTtlMs?: number;
  /** Fetches the key set (tests inject one). */
  readonly fetch?: typeof fetch;
}

/** The pool's issuer URL (the `iss` claim of its tokens). */
export function cognitoIssuer(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** Requires a valid ID token of the pool and client in {@link DASHBOARD_TOKEN_HEADER}; 401 otherwise. */
export function cognitoAuth(o: CognitoAuthOptions): MiddlewareHandler {
  const issuer = cognitoIssuer(o.region, o.userPoolId);
  const get = o.fetch ?? fetch;
  const ttl = o.keysTtlMs ?? 3_600_000;
  let cached: { keys: KeySet; at: number } | undefined;
  // Fetched once per container and hour, not once per request (jwks_uri would fetch on every call).
  const keys = async (): Promise<KeySet> => {
    if (cached && Date.now() - cached.at < ttl) return cached.keys;
    const r = await get(`${issuer}/.well-known/jwks.json`);
    if (!r.ok) throw new Error(`the user pool's keys could not be fetched: HTTP ${r.status}`);
    const body = (await r.json()) as { keys?: KeySet };
    cached = { keys: body.keys ?? [], at: Date.now() };
    return cached.keys;
  };
  const verify = jwk({ keys, alg: ['RS256'], headerName: DASHBOARD_TOKEN_HEADER, verification: { iss: issuer, ...(o.clientId ? { aud: o.clientId } : {}) } });
  return async (c, next) =>
    verify(c, async () => {
      // An access token of the same pool verifies too; the page sends the ID token.
      const payload = c.get('jwtPayload') as { token_use?: unknown } | undefined;
      if (payload?.token_use !== 'id') throw new HTTPException(401, { message: 'an ID token is required' });
      await next();
    });
}
