// What the OpenAI APIs share: their error objects and codes, the proxy's own error bodies, and how a ChatGPT login looks.

import type { IncomingHttpHeaders } from 'node:http';
import { proxyMessage } from '../attemptTrace';
import { refinedByBody } from '../classify';
import type { AttemptRecord } from '../log';
import type { Cause } from '../outcomes';
import { lastObject } from './json';
import { bearerToken } from './traits';
import type { UpstreamError } from './types';

/** OpenAI error `code`s (and a few `type`s) → the outcome they mean. */
const ERROR_CODES: Record<string, Cause> = {
  rate_limit_exceeded: 'RATE_LIMITED',
  insufficient_quota: 'KEY_NO_QUOTA',
  // A ChatGPT plan without this usage: the account's limit, not the request's or the endpoint's.
  usage_not_included: 'KEY_NO_QUOTA',
  invalid_api_key: 'KEY_INVALID',
  context_length_exceeded: 'CLIENT_ERROR',
  invalid_prompt: 'CLIENT_ERROR',
  invalid_encrypted_content: 'CLIENT_ERROR',
  invalid_request_error: 'CLIENT_ERROR',
  server_error: 'UPSTREAM_5XX',
  server_is_overloaded: 'OVERLOADED',
  engine_overloaded: 'OVERLOADED',
  slow_down: 'OVERLOADED',
};

/** An OpenAI error object (`{code, type, message}`) classified. */
export function classifiedOpenAiError(error: Record<string, unknown> | undefined, fallback: Cause, final = true): UpstreamError {
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const type = typeof error?.type === 'string' ? error.type : undefined;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : 'upstream sent an error';
  const cause = (code && ERROR_CODES[code]) || (type && ERROR_CODES[type]) || fallback;
  return { cause, code: code ?? type, message, final };
}

/** A status the upstream answered, refined by its OpenAI error body (a 429 `insufficient_quota` is out of credit, not rate limited). */
export function classifyOpenAiError(status: number, cause: Cause, bodyText: string): Cause {
  if (status < 400) return cause;
  const error = lastObject(bodyText, 'error');
  if (!error) return cause;
  return refinedByBody(cause, classifiedOpenAiError(error, cause).cause);
}

/** The error `type` the proxy writes for a status it answers with. */
function errorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The JSON body of an error the proxy answers with, in OpenAI's shape. */
export function openAiErrorBody(status: number, code: string, message: string, attempts: readonly AttemptRecord[]): string {
  return JSON.stringify({ error: { message: proxyMessage(message, attempts), type: errorType(status), param: null, code }, switchyard: { code, attempts } });
}

/** Codex signed in with ChatGPT sends its OAuth token and a ChatGPT account id; such a login expects OpenAI's own backend. */
export function openAiSubscriptionLogin(headers: IncomingHttpHeaders): string | undefined {
  if (headers['chatgpt-account-id'] !== undefined) return 'Codex is signed in with ChatGPT (an OAuth token and a ChatGPT account id, not an API key)';
  const bearer = bearerToken(headers);
  if (bearer && /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(bearer)) return 'the client sends an OAuth access token (a JWT), not an API key';
  return undefined;
}
