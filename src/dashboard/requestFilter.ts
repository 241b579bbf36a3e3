// The one request filter, shared by the dashboard's request table, Tail Logs and their host: outcome (all / errors / retried) and free text.

import { isCause, outcome } from '../core/outcomes';
import type { DashboardRequest } from './feed';

export type RequestFilter = 'all' | 'errors' | 'retried';
export const REQUEST_FILTERS: readonly RequestFilter[] = ['all', 'errors', 'retried'];

export function isRequestFilter(value: unknown): value is RequestFilter {
  return typeof value === 'string' && (REQUEST_FILTERS as readonly string[]).includes(value);
}

/** The fields of a record the outcome filter and the text search read (a client gone away is not an error). */
export type FilterableRequest = Pick<DashboardRequest, 'id' | 'method' | 'path' | 'status' | 'outcome' | 'endpoint' | 'key' | 'attempts' | 'model'>;

/** Whether a record passes an outcome filter; "errors" are what the outcome table calls failures (a client gone away is not). */
export function matchesOutcome(r: FilterableRequest, filter: RequestFilter): boolean {
  if (filter === 'errors') return isCause(r.outcome) ? outcome(r.outcome).failure : r.outcome !== 'OK';
  if (filter === 'retried') return r.attempts.length > 1;
  return true;
}

/** The lower-case text the free-text filter searches: id, request, status, cause, endpoint, key, model and every attempt. */
export function searchText(r: FilterableRequest): string {
  const attempts = r.attempts.map((a) => `${a.endpoint} ${a.key ?? ''} ${a.status ?? ''} ${a.cause} ${a.detail ?? ''}`).join(' ');
  return `${r.id} ${r.method} ${r.path} ${r.status} ${r.outcome} ${r.endpoint ?? ''} ${r.key ?? ''} ${r.model ?? ''} ${attempts}`.toLowerCase();
}

/** Both filters; `text` is matched case-insensitively as a substring. */
export function matchesRequest(r: FilterableRequest, filter: RequestFilter, text: string, searchable: string = searchText(r)): boolean {
  return matchesOutcome(r, filter) && (text === '' || searchable.includes(text.toLowerCase()));
}
