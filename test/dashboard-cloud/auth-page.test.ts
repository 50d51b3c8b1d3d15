/** dashboard/auth.js, the page's sign-in, with the browser's globals stubbed. */
import { afterEach, describe, expect, it, vi } from 'vitest';

const AUTH = { domain: 'https://dash.auth.eu-west-1.amazoncognito.com', clientId: 'client-abc', header: 'x-ticklake-authorization' };
const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;

function browser(search: string, responses: Record<string, () => Response>) {
  const store = new Map<string, string>();
  const calls: { url: string; body?: string }[] = [];
  const location = { origin: 'https://d111.cloudfront.net', pathname: '/', search, hash: '', assign: vi.fn() };
  vi.stubGlobal('location', location);
  vi.stubGlobal('history', { replaceState: vi.fn() });
  vi.stubGlobal('sessionStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  });
  vi.stubGlobal('fetch', async (url: string, init?: { body?: URLSearchParams }) => {
    calls.push({ url, ...(init?.body ? { body: String(init.body) } : {}) });
    const respond = responses[url];
    return respond ? respond() : new Response('not found', { status: 404 });
  });
  return { store, calls, location };
}

async function freshModule() {
  vi.resetModules();
  // @ts-expect-error: a browser module without types
  return (await import('../../dashboard/auth.js')) as { authHeaders(): Promise<Record<string, string>> };
}

afterEach(() => vi.unstubAllGlobals());

describe('dashboard/auth.js', () => {
  it('adds no header when the site has no /config.json (the local dashboard)', async () => {
    // Prepare
    browser('', {});
    const { authHeaders } = await freshModule();

    // Act
    const headers = await authHeaders();

    // Assess
    expect(headers).toEqual({});
  });

  it('exchanges the code it comes back with (PKCE verifier of its own state) and sends the ID token in its header', async () => {
    // Prepare
    const id = jwt(Math.floor(Date.now() / 1000) + 3600);
    const b = browser('?code=the-code&state=s-1', {
      '/config.json': () => Response.json({ auth: AUTH }),
      [`${AUTH.domain}/oauth2/token`]: () => Response.json({ id_token: id, refresh_token: 'r-1' }),
    });
    b.store.set('ticklake.dashboard.signin', JSON.stringify({ verifier: 'v-1', state: 's-1', back: '/#markets' }));
    const { authHeaders } = await freshModule();

    // Act
    const [first, second] = await Promise.all([authHeaders(), authHeaders()]);

    // Assess
    expect(first).toEqual({ 'x-ticklake-authorization': `Bearer ${id}` });
    expect(second).toEqual(first);
    const exchanges = b.calls.filter((c) => c.url.endsWith('/oauth2/token'));
    expect(exchanges).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(exchanges[0]!.body))).toEqual({
      client_id: 'client-abc',
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://d111.cloudfront.net/',
      code_verifier: 'v-1',
    });
    expect(JSON.parse(b.store.get('ticklake.dashboard.tokens')!).refresh_token).toBe('r-1');
  });

  it('sends a user without a token to the sign-in page with an S256 challenge, and refuses a code of another state', async () => {
    // Prepare
    const b = browser('?code=stolen&state=other', { '/config.json': () => Response.json({ auth: AUTH }) });
    b.store.set('ticklake.dashboard.signin', JSON.stringify({ verifier: 'v-1', state: 's-1', back: '/' }));
    const { authHeaders } = await freshModule();

    // Act
    void authHeaders();
    await vi.waitFor(() => expect(b.location.assign).toHaveBeenCalled());

    // Assess
    const url = new URL(b.location.assign.mock.calls[0]![0] as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${AUTH.domain}/oauth2/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('redirect_uri')).toBe('https://d111.cloudfront.net/');
    expect(b.calls.some((c) => c.url.endsWith('/oauth2/token'))).toBe(false);
  });
});
