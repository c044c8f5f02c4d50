/**
 * `/star.js`: a classic script that defines `window.starweave` (built as an IIFE whose
 * exports become that global).
 */
export { connect } from '../star/connect.ts';
export { StarError } from '../../shared/errors.ts';
