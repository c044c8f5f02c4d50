/** Prometheus metrics of one Galaxy, served at GET /metrics in the text exposition format. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GalaxyMetrics {
  registry: Registry;
  /** height of the newest complete Blackhole block */
  height: Gauge;
  /** the round being agreed (height + 1) */
  round: Gauge;
  /**
   * seconds until a block completes, from `stage`: "cert" = the checkpoint certificate's
   * arrival at this Galaxy, "round" = the start of the round (the previous block)
   */
  finality: Histogram<'stage'>;
  checkpoints: Counter<'result'>;
  halfBlocks: Counter<'result'>;
  peers: Gauge;
  /** `GET /blocks?wait=` requests held until the next block */
  headWaiters: Gauge;
  httpRequests: Counter<'route' | 'status'>;
}

export function createGalaxyMetrics(): GalaxyMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'starweave_galaxy_' });
  return {
    registry,
    height: new Gauge({ name: 'starweave_galaxy_height', help: 'height of the newest complete Blackhole block', registers: [registry] }),
    round: new Gauge({ name: 'starweave_galaxy_round', help: 'round being agreed (height + 1)', registers: [registry] }),
    finality: new Histogram({
      name: 'starweave_galaxy_finality_seconds',
      help: 'time until a Blackhole block completes, from a checkpoint certificate arriving (stage="cert") or from the round starting (stage="round")',
      labelNames: ['stage'],
      // the goal is p50 ≤ 1 s and p99 ≤ 2.5 s; empty rounds wait for the round timeout (5 s)
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3.5, 5, 7.5, 10, 20],
      registers: [registry],
    }),
    checkpoints: new Counter({
      name: 'starweave_galaxy_checkpoints_total',
      help: 'checkpoint certificates: accepted = ordered into a Blackhole block, rejected = refused by this Galaxy',
      labelNames: ['result'],
      registers: [registry],
    }),
    halfBlocks: new Counter({
      name: 'starweave_galaxy_halfblocks_total',
      help: 'half-blocks of checkpoints, by what the Blackhole block made of them (accepted = final, rejected = refused for good)',
      labelNames: ['result'],
      registers: [registry],
    }),
    peers: new Gauge({ name: 'starweave_galaxy_peers', help: 'open libp2p connections (the relay, normally one)', registers: [registry] }),
    headWaiters: new Gauge({ name: 'starweave_galaxy_head_waiters', help: 'GET /blocks?wait= requests held until the next block is stored (long polls of Stars following the head)', registers: [registry] }),
    httpRequests: new Counter({
      name: 'starweave_galaxy_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
  };
}
