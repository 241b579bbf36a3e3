// undici's dispatchers and request API without the package's index, which also loads fetch, WebSocket, caches and mocks we never use.

import type * as Undici from 'undici';

// Deep requires keep those out of the bundle (about half of it) and the proxy's start-up heap (about 9 MB, measured in the bench).
/* eslint-disable @typescript-eslint/no-require-imports */
const DispatcherClass = require('undici/lib/dispatcher/dispatcher') as typeof Undici.Dispatcher;
// As the index does: request(), stream() and the rest are methods every dispatcher inherits.
Object.assign(DispatcherClass.prototype, require('undici/lib/api'));

export const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
export type Agent = Undici.Agent;
export const Client = require('undici/lib/dispatcher/client') as typeof Undici.Client;
export type Client = Undici.Client;
export const ProxyAgent = require('undici/lib/dispatcher/proxy-agent') as typeof Undici.ProxyAgent;
export const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent') as typeof Undici.EnvHttpProxyAgent;
export type { Dispatcher } from 'undici';
