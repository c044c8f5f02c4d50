/**
 * The wallet page: starts (or takes over) this tab's Star, then shows the wallet for it.
 * An account runs in one tab at a time: when another tab has it, the user can move it here;
 * when another tab takes it away, this one says so and offers a reload.
 */
import { useEffect, useState } from 'react';
import type { ClosedInfo } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { ClosedPanel } from './ClosedPanel.tsx';
import { errorCode, errorMessage } from './format.ts';
import { StartProblem } from './StartProblem.tsx';
import { Wallet } from './Wallet.tsx';

type Phase =
  | { kind: 'starting' }
  | { kind: 'running'; star: Star }
  | { kind: 'failed'; inUse: boolean; message: string }
  | { kind: 'closed'; info: ClosedInfo };

export function App(props: { star: Promise<Star>; takeOver: () => Promise<Star> }) {
  const [attempt, setAttempt] = useState(props.star);
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const [takingOver, setTakingOver] = useState(false);

  useEffect(() => {
    let stopped = false;
    let offClosed: (() => void) | undefined;
    attempt.then(
      (star) => {
        if (stopped) return;
        setPhase({ kind: 'running', star });
        offClosed = star.on('closed', (info) => setPhase({ kind: 'closed', info }));
      },
      (err: unknown) => {
        if (stopped) return;
        setPhase({ kind: 'failed', inUse: errorCode(err) === 'ACCOUNT_IN_USE', message: errorMessage(err) });
      },
    ).finally(() => !stopped && setTakingOver(false));
    return () => {
      stopped = true;
      offClosed?.();
    };
  }, [attempt]);

  const takeOver = () => {
    setTakingOver(true);
    setAttempt(props.takeOver());
  };

  return (
    <main>
      <header>
        <h1>Starweave</h1>
        <p className="tagline">This tab is a Star: a full peer of the network.</p>
      </header>
      {phase.kind === 'starting' && <p>Starting this Star…</p>}
      {phase.kind === 'failed' && <StartProblem inUse={phase.inUse} message={phase.message} busy={takingOver} onTakeOver={takeOver} />}
      {phase.kind === 'closed' && <ClosedPanel info={phase.info} />}
      {phase.kind === 'running' && <Wallet star={phase.star} />}
    </main>
  );
}
