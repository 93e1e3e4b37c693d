/**
 * DNS-rebinding protection (MCP spec: servers MUST validate Origin; local servers should check
 * Host). A web page can make a browser talk to 127.0.0.1, but it cannot make the browser send
 * `Host: 127.0.0.1` or a loopback Origin from its own site.
 */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = ['0.0.0.0', '::'];

export type HostCheck = (host: string | undefined, origin: string | undefined) => string | null;

/**
 * Returns a check of a request's Host and Origin headers that gives the reason to refuse, or null.
 * Bound to loopback, only loopback names pass. Bound to every interface with no allowed hosts
 * configured, any Host passes (a cluster Service has names we cannot know), but a browser Origin
 * must still name the host it is sent to. `setting` is the variable that lists allowed hosts, named
 * in the refusal so the operator knows what to set.
 */
export function hostGuard(bindHost: string, allowedHosts: string[], setting: string): HostCheck {
  const anyHost = WILDCARD.includes(bindHost) && allowedHosts.length === 0;
  const allowed = new Set([...LOOPBACK, ...allowedHosts, ...(WILDCARD.includes(bindHost) ? [] : [bindHost.toLowerCase()])]);
  return (host, origin) => {
    const hostName = host ? hostnameOf(`http://${host}`) : null;
    if (!hostName) return 'missing or malformed Host header';
    if (!anyHost && !allowed.has(hostName)) return `Host "${hostName}" is not allowed (set ${setting} to accept it)`;
    if (origin === undefined) return null;
    const originName = hostnameOf(origin);
    if (!originName) return `Origin "${origin}" is not allowed`;
    if (anyHost ? originName !== hostName : !allowed.has(originName)) return `Origin "${origin}" is not allowed`;
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
