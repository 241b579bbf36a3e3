// The dashboard's data from a Switchyard running in this process (headless `serve`, or a window's proxy process).

import type { Switchyard } from '../core/switchyard';
import type { DashboardSource } from './session';

export function coreDashboardSource(sy: Switchyard): DashboardSource {
  return {
    snapshot: () => sy.stats(),
    history: sy.history,
    recentRequests: () => sy.recentRequests(),
    onSnapshot: (listener) => sy.snapshots.subscribe(() => listener()),
    onRequests: (listener) => sy.onRequest((r) => listener([r])),
  };
}
