import { createRoot } from 'react-dom/client';
import type { ConnectOptions } from '../../shared/api.ts';
import { connect } from '../star/connect.ts';
import { App } from './App.tsx';
import './wallet.css';

// the wallet page is also a Star page: tests and scripts attach with starweave.connect()
(globalThis as { starweave?: { connect: typeof connect } }).starweave = { connect };

// the Star starts before React renders, so a script calling connect() early attaches to it
const params = new URLSearchParams(location.search);
const opts: ConnectOptions = { relay: params.get('relay') ?? undefined, debug: params.has('debug') };
const star = connect(opts);
// when another tab runs this account (ACCOUNT_IN_USE), the user can move it here
const takeOver = () => connect({ ...opts, takeOver: true });
const root = document.getElementById('root');
if (root) createRoot(root).render(<App star={star} takeOver={takeOver} />);
