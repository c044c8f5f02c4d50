/** Web Worker entry: exposes the Star core to the page over comlink. */
import { expose } from 'comlink';
import { StarCore } from './star-core.ts';

expose(new StarCore());
