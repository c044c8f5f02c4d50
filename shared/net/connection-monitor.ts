/**
 * libp2p's connection monitor, the same for Stars, the relay and Galaxies. It pings every
 * connection and aborts one whose ping does not come back in time, which finds connections
 * to peers that vanished without closing them.
 *
 * Its defaults (a ping every 10 s, aborted after 5 s) cut healthy connections under load:
 * with 16 tabs on 2 cores the relay aborted 32 connections in one finality run (13 in one
 * second, when its own event loop was held up) and the Galaxy lost its relay connection
 * twice, each time missing the checkpoint certificates gossiped until it was back (rounds
 * then ran into the Galaxy's round timeout and ended empty). A slow answer is not a dead
 * peer: the timeout is 30 s at least, and a closed tab or a killed process closes its
 * connections at once anyway. Over WebRTC every ping is a new data channel, so the interval
 * is 30 s too.
 */
import type { Libp2pInit } from 'libp2p';

export const CONNECTION_MONITOR: NonNullable<Libp2pInit['connectionMonitor']> = {
  pingInterval: 30_000,
  pingTimeout: { minTimeout: 30_000 },
};
