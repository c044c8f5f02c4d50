/**
 * Keeps this Star connected to its relay: learns the relay's peer id from `/relay.json`,
 * dials it, and after a failure or a dropped connection retries with jittered exponential
 * backoff. While connected it watches that the relay holds a reservation for this Star (the
 * only way other Stars reach it) and reconnects to ask again when it does not (see
 * ReservationWatch). The state and a message a person can act on are always available for
 * the UI.
 */
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { RelayInfo } from '../../shared/api.ts';
import { StarError } from '../../shared/errors.ts';
import { backoffDelay, RELAY_BACKOFF } from '../../shared/net/backoff.ts';
import { relayMultiaddr } from '../../shared/net/relay-address.ts';
import { ReservationWatch } from '../../shared/net/reservation-watch.ts';
import { circuitAddrs } from './circuit-addrs.ts';

const FETCH_TIMEOUT_MS = 5_000;
const DIAL_TIMEOUT_MS = 10_000;
/** how often the reservation is checked besides on every change of our addresses */
const RESERVATION_CHECK_MS = 2_000;
const NO_RESERVATION =
  'connected to the relay, but it holds no reservation for this Star, so other Stars cannot reach it (only gossip does); asking again automatically. If this lasts, the relay may be full: try another relay';

export class RelayLink {
  private readonly node: Libp2p;
  private readonly onChange: (info: RelayInfo) => void;
  private info: RelayInfo;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private inFlight = false;
  /** the Galaxies' HTTP bases the relay names in /relay.json (none: no Galaxy to catch up from) */
  private galaxyUrls: string[] = [];
  private readonly reservation = new ReservationWatch();
  private checkTimer: ReturnType<typeof setInterval> | undefined;

  constructor(node: Libp2p, url: string, onChange: (info: RelayInfo) => void) {
    this.node = node;
    this.onChange = onChange;
    this.info = { state: 'connecting', url, attempts: 0, reachable: false };
    node.addEventListener('connection:close', (evt) => {
      if (this.stopped || evt.detail.remotePeer.toString() !== this.info.peerId) return;
      if (node.getConnections(evt.detail.remotePeer).length > 0) return;
      this.schedule(backoffDelay(RELAY_BACKOFF, 0));
      const renewing = this.reservation.renewals > 0 && !this.info.reachable;
      this.update({ state: 'connecting', reachable: false, error: renewing ? NO_RESERVATION : 'lost the connection to the relay; reconnecting' });
    });
    node.addEventListener('self:peer:update', () => this.checkReservation());
  }

  get current(): RelayInfo {
    return { ...this.info };
  }

  get galaxies(): string[] {
    return [...this.galaxyUrls];
  }

  start(): void {
    void this.attempt();
    this.checkTimer = setInterval(() => this.checkReservation(), RESERVATION_CHECK_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.checkTimer);
  }

  /** Is the relay holding a reservation for us? If it has not for too long, reconnect to ask again. */
  private checkReservation(): void {
    if (this.stopped) return;
    const relay = this.info.peerId;
    const connected = this.info.state === 'connected' && relay !== undefined;
    const reachable = connected && circuitAddrs(this.node, relay).length > 0;
    const verdict = this.reservation.observe(connected, reachable, Date.now());
    if (verdict === 'offline') return;
    if (verdict === 'renew') {
      console.warn(`starweave: the relay holds no reservation for this Star; reconnecting to ask again (renewal ${this.reservation.renewals})`);
      this.update({ reachable, error: NO_RESERVATION });
      this.node.hangUp(peerIdFromString(relay!)).catch((err: unknown) => console.warn('starweave: could not close the relay connection', err));
      return;
    }
    const error = reachable || this.reservation.renewals === 0 ? undefined : NO_RESERVATION;
    if (reachable !== this.info.reachable || error !== this.info.error) this.update({ reachable, error });
  }

  /** Plans the next attempt; the caller reports the state change after it. */
  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.info.nextRetryAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.inFlight) return;
    this.inFlight = true;
    this.update({ state: 'connecting', nextRetryAt: undefined });
    try {
      const peerId = await this.fetchPeerId();
      await this.node.dial(multiaddr(relayMultiaddr(this.info.url, peerId)), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
      this.update({ state: 'connected', peerId, attempts: 0, error: undefined, nextRetryAt: undefined });
      this.checkReservation();
    } catch (err) {
      const attempts = this.info.attempts + 1;
      this.schedule(backoffDelay(RELAY_BACKOFF, attempts - 1));
      this.update({ state: 'down', attempts, error: describe(err, this.info.url) });
    } finally {
      this.inFlight = false;
    }
  }

  private async fetchPeerId(): Promise<string> {
    let res: Response;
    try {
      res = await fetch(new URL('/relay.json', this.info.url), { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), cache: 'no-store' });
    } catch (err) {
      throw new StarError('RELAY_UNREACHABLE', `cannot reach the relay at ${this.info.url} (${(err as Error).message})`);
    }
    if (!res.ok) throw new StarError('RELAY_UNREACHABLE', `${this.info.url} answered ${res.status} for /relay.json: is it a Starweave relay?`);
    const body = (await res.json().catch(() => ({}))) as { peerId?: unknown; galaxies?: unknown };
    if (typeof body.peerId !== 'string') throw new StarError('RELAY_UNREACHABLE', `${this.info.url}/relay.json has no peer id: is it a Starweave relay?`);
    this.galaxyUrls = galaxyUrls(body.galaxies, this.info.url);
    return body.peerId;
  }

  private update(patch: Partial<RelayInfo>): void {
    this.info = { ...this.info, ...patch };
    this.onChange(this.current);
  }
}

function describe(err: unknown, url: string): string {
  const base = err instanceof StarError ? err.message : `cannot connect to the relay at ${url} (${(err as Error).message})`;
  return `${base}. Check the relay address, or start the network with \`npm start\`; retrying automatically.`;
}

/** `galaxies` from /relay.json: http(s) URLs (relative ones against the relay); anything else is left out. */
function galaxyUrls(value: unknown, relay: string): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const v of value.slice(0, 16)) {
    if (typeof v !== 'string') continue;
    try {
      const url = new URL(v, relay);
      if (url.protocol === 'http:' || url.protocol === 'https:') out.push(url.href.replace(/\/$/, ''));
    } catch {
      // not a URL: ignored
    }
  }
  return out;
}
