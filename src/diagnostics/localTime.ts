// An instant as the reader's local time with its zone: "2 Dec 2026, 00:14 (UTC+1)".

/** ISO 8601 instants as the checks write them (`2026-12-01T23:14:05.123Z`). */
export const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * The instant in the locale and time zone of whatever runs this, with the zone's offset from UTC.
 * It uses nothing outside its own body: the report's webview runs its source text in the user's
 * browser, whose zone (code-server) can differ from the extension host's.
 */
export function localTime(iso: string, zoneInParens = true): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const when = d.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  const east = -d.getTimezoneOffset();
  const h = Math.floor(Math.abs(east) / 60);
  const m = Math.abs(east) % 60;
  const zone = east === 0 ? 'UTC' : `UTC${east < 0 ? '-' : '+'}${h}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
  return zoneInParens ? `${when} (${zone})` : `${when} ${zone}`;
}
