/**
 * DNS-rebinding protection (MCP spec: servers MUST validate Origin; local servers should check
 * Host). A web page can make a browser talk to 127.0.0.1, but it cannot make the browser send
 * `Host: 127.0.0.1` or a loopback Origin from its own site.
 */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = ['0.0.0.0', '::'];

/**
 * Gives the reason to refuse a request's Host and Origin headers, or null. `tokenRequired` says
 * whether the request must also carry the bearer token (the route guard checks it next).
 */
export type HostCheck = (host: string | undefined, origin: string | undefined, tokenRequired?: boolean) => string | null;

/**
 * Returns the check of a request's Host and Origin headers.
 * - Bound to loopback (or one address): only loopback names, that address and the listed hosts pass.
 * - Bound to every interface with no allowed hosts configured: any Host passes (a cluster Service
 *   has names we cannot know), but a browser Origin must still name the host it is sent to.
 * - Bound to every interface with allowed hosts and no token: only those names (and loopback) pass.
 * - Bound to every interface with a token required: any Host passes — a node's IP behind a
 *   NodePort, the Ingress name, the Service name — and a browser Origin must name the Host or a
 *   listed host. The Host check only stops DNS rebinding, which works through a victim's browser;
 *   a browser sends our bearer token only if the page already knows it, and a page that knows it
 *   needs no rebinding. A foreign Origin is still refused (the MCP spec requires Origin checks), so a
 *   web page on another site is turned away even when it holds a token.
 * `setting` is the variable that lists allowed hosts, named in the refusal so the operator knows
 * what to set. The MCP server and the ingestion service share this rule.
 */
export function hostGuard(bindHost: string, allowedHosts: string[], setting: string): HostCheck {
  const wildcard = WILDCARD.includes(bindHost);
  const listed = new Set(allowedHosts);
  const allowed = new Set([...LOOPBACK, ...allowedHosts, ...(wildcard ? [] : [bindHost.toLowerCase()])]);
  return (host, origin, tokenRequired = false) => {
    const anyHost = wildcard && (allowedHosts.length === 0 || tokenRequired);
    const hostName = host ? hostnameOf(`http://${host}`) : null;
    if (!hostName) return 'missing or malformed Host header';
    if (!anyHost && !allowed.has(hostName)) return `Host "${hostName}" is not allowed (set ${setting} to accept it)`;
    if (origin === undefined) return null;
    const originName = hostnameOf(origin);
    if (!originName) return `Origin "${origin}" is not allowed`;
    const originAllowed = anyHost ? originName === hostName || listed.has(originName) : allowed.has(originName);
    if (!originAllowed) return `Origin "${origin}" is not allowed`;
    return null;
  };
}

function hostnameOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  } catch {
    return null;
  }
}
