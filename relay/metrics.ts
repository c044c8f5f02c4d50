/** Prometheus metrics of the relay, served at GET /metrics in the text exposition format. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface RelayMetrics {
  registry: Registry;
  connections: Gauge;
  reservations: Gauge;
  topics: Gauge;
  gossipMessages: Counter<'verdict'>;
  httpRequests: Counter<'route' | 'status'>;
  faucetPayouts: Counter;
  faucetRefusals: Counter<'reason'>;
}

export function createRelayMetrics(): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'starweave_relay_' });
  return {
    registry,
    connections: new Gauge({ name: 'starweave_relay_connections', help: 'open libp2p connections', registers: [registry] }),
    reservations: new Gauge({ name: 'starweave_relay_reservations', help: 'circuit relay v2 reservations held', registers: [registry] }),
    topics: new Gauge({ name: 'starweave_relay_gossip_topics', help: 'gossip topics routed', registers: [registry] }),
    gossipMessages: new Counter({
      name: 'starweave_relay_gossip_messages_total',
      help: 'gossip messages judged by the relay, by verdict',
      labelNames: ['verdict'],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'starweave_relay_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    faucetPayouts: new Counter({ name: 'starweave_faucet_payouts_total', help: 'faucet payouts signed and stored', registers: [registry] }),
    faucetRefusals: new Counter({
      name: 'starweave_faucet_refusals_total',
      help: 'faucet requests refused, by error code (RATE_LIMITED, INVALID_ADDRESS, FAUCET_UNAVAILABLE, …)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
