// The row of headline numbers for the shown cluster over the chosen range.

import { fill, h } from './dom';
import * as fmt from './format';
import { DashboardModel, shownHistory } from './model';

export class Summary {
  readonly root = h('section', { class: 'summary', 'aria-label': 'Summary' });

  render(m: DashboardModel): void {
    const v = shownHistory(m);
    const t = v?.total.totals;
    const minutes = v ? (v.times.length * v.bucketMs) / 60_000 : 1;
    const tile = (label: string, value: string, detail: string) => h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), h('div', { class: 'tile-detail muted' }, detail));
    if (!t) {
      fill(this.root, tile('Requests', '—', 'waiting for the history'));
      return;
    }
    const prompt = t.inputTokens + t.cacheReadTokens + t.cacheWriteTokens;
    fill(
      this.root,
      tile('Requests', fmt.count(t.requests), `${fmt.rate(t.requests / minutes)} / min`),
      tile('Success', fmt.share(t.requests - t.failures, t.requests), `${fmt.count(t.failures)} failed`),
      tile('Time to first byte', fmt.ms(t.ttfbP50), `p95 ${fmt.ms(t.ttfbP95)}`),
      tile('Tokens', `${fmt.count(prompt)} → ${fmt.count(t.outputTokens)}`, 'prompt → output'),
      tile('Cache hits', fmt.cacheHitShare(t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens), `${fmt.count(t.cacheReadTokens)} read · ${fmt.count(t.cacheWriteTokens)} written`),
      tile('Cost', fmt.usd(t.costUsd), t.costUsd === null ? 'no price known' : 'where a price is known'),
      tile('In flight', m.snapshot?.requests ? String(m.snapshot.requests.inFlight) : '—', 'right now, all clusters'),
    );
  }
}
