// Names and URLs as the wizard takes them: name checks, a guessed unique endpoint name, a completed scheme (no `vscode` import).

const NAME_PATTERN = /^[\w.-]{1,64}$/;

/** Why `value` cannot name a cluster or endpoint (`what`), or undefined when it can. */
export function nameProblem(value: string, what: 'cluster' | 'endpoint', taken: readonly string[]): string | undefined {
  const v = value.trim();
  if (!v) return `Enter a ${what} name.`;
  if (!NAME_PATTERN.test(v)) return `Use letters, digits, '.', '-' or '_' (at most 64).`;
  if (taken.includes(v)) return `A ${what} named "${v}" already exists.`;
  return undefined;
}

/** Whether a URL's host is this machine: localhost, 127.x.x.x or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** `api.example.com` → `https://api.example.com`; `127.0.0.1:1234`, `localhost:8080`, `[::1]:9` → `http://…`; a URL with a scheme is kept as typed. */
export function completeScheme(value: string): string {
  const v = value.trim();
  if (!v || /^[a-z][a-z\d+.-]*:\/\//i.test(v)) return v;
  const host = /^(\[[^\]]*\]|[^/:?#]*)/.exec(v)?.[1] ?? '';
  return `${isLoopbackHost(host) ? 'http' : 'https'}://${v.replace(/^\/+/, '')}`;
}

/** `https://api.anthropic.com` → `anthropic`, `http://relay.example.com:8080` → `relay`, `http://127.0.0.1:1234` → `local`. */
export function endpointNameFor(baseUrl: string): string {
  let hostname: string;
  try {
    hostname = new URL(baseUrl).hostname;
  } catch {
    return 'endpoint';
  }
  if (isLoopbackHost(hostname)) return 'local';
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (/^[\d.]+$/.test(bare) || bare.includes(':')) return bare.replace(/:/g, '-').slice(0, 64);
  const labels = bare.split('.').filter((l) => l && l !== 'api' && l !== 'www');
  return (labels[0] ?? 'endpoint').replace(/[^\w.-]/g, '-').slice(0, 64);
}

/** `name`, or `name-2`, `name-3`, … when it is taken. */
export function uniqueName(name: string, taken: readonly string[]): string {
  if (!taken.includes(name)) return name;
  let i = 2;
  while (taken.includes(`${name}-${i}`)) i++;
  return `${name}-${i}`;
}

