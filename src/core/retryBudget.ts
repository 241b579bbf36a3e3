// Envoy-style retry budget: retries in flight stay below a share of requests in flight, so client and proxy retries cannot storm.

import { RetryConfig } from './config';

export interface BudgetToken {
  retrying: boolean;
}

export class RetryBudget {
  private requests = 0;
  private retries = 0;

  constructor(private config: RetryConfig) {}

  setConfig(config: RetryConfig): void {
    this.config = config;
  }

  enter(): BudgetToken {
    this.requests++;
    return { retrying: false };
  }

  /** Whether this request may retry; a request holds at most one retry slot however often it retries. */
  retry(token: BudgetToken): boolean {
    if (token.retrying) return true;
    const allowed = Math.max(this.config.minRetryConcurrency, Math.floor(this.config.budgetRatio * this.requests));
    if (this.retries >= allowed) return false;
    this.retries++;
    token.retrying = true;
    return true;
  }

  /**
   * The request's attempt answered: it is no longer retrying, so its slot goes back now rather than
   * when its answer (a stream of minutes) ends, and other requests may fail over meanwhile.
   */
  answered(token: BudgetToken): void {
    if (!token.retrying) return;
    token.retrying = false;
    this.retries--;
  }

  leave(token: BudgetToken): void {
    this.requests--;
    if (token.retrying) this.retries--;
  }

  get inFlight(): number {
    return this.requests;
  }

  get retriesInFlight(): number {
    return this.retries;
  }
}
