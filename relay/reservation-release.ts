/**
 * Frees a Star's relay reservation as soon as its last connection to the relay closes.
 *
 * The circuit relay server keeps a reservation until its TTL (two hours) whether or not the
 * Star is still connected, so every tab opened in the last two hours holds one of the
 * `maxReservations` slots: a busy relay would refuse new tabs (`RESERVATION_REFUSED`) while
 * its slots belong to tabs long closed. A reservation is of no use without a live connection
 * (the relay answers `NO_RESERVATION` to anyone dialling a Star it has no connection to),
 * and a Star that comes back reserves again on its new connection, so nothing is lost.
 */
import type { PeerId } from '@libp2p/interface';
import type { RelayNode } from './node.ts';

export function releaseReservationsOnDisconnect(node: RelayNode, onRelease: (peer: PeerId) => void = () => {}): void {
  node.addEventListener('connection:close', (evt) => {
    const peer = evt.detail.remotePeer;
    if (node.getConnections(peer).length > 0) return;
    const reservations = node.services.relay.reservations;
    const reservation = reservations.get(peer);
    if (reservation === undefined) return;
    // a cleared expiry timer never fires, so it cannot delete a later reservation of the same Star
    reservation.signal.clear();
    reservations.delete(peer);
    onRelease(peer);
  });
}
