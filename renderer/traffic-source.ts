/**
 * Where the inspector gets its events: the preload bridge in the desktop app, or the proxy's
 * `/inspector/` feed in a browser. Everything downstream only sees this interface.
 */
import type { TrafficEvent } from '../app/traffic/traffic-event.ts';

export interface TrafficSource {
  /** Calls `onEvent` for the backfill first, then for every live event; returns unsubscribe. */
  subscribe(onEvent: (event: TrafficEvent) => void): () => void;
}
