/** A TCP port from configuration text such as "8080". */
export function parsePort(text) {
  if (!/^\d+$/.test(text)) throw new TypeError(`not a port: ${text}`);
  return Number(text);
}

/** "host:port" as { host, port }; without a port, 80. */
export function parseHostPort(text) {
  const [host, port] = text.split(':');
  return { host, port: port === undefined ? 80 : parsePort(port) };
}
