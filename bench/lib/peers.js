/**
 * Names and versions of what a benchmark runs, read from the installed
 * package.json files, so every figure says exactly which peers it measured.
 */
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url);

/**
 * @typedef {{ name: string, version: string }} Peer
 */

/**
 * The installed version of a package (an alias such as `express4` reports
 * the real name it points at).
 *
 * @param {string} name package name as installed under node_modules
 * @returns {Peer}
 */
export function peer(name) {
  try {
    const pkg = JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), 'utf8'));
    const label = pkg.name === name ? name : `${name} (${pkg.name})`;
    return { name: label, version: String(pkg.version) };
  } catch {
    return { name, version: 'not installed' };
  }
}

/**
 * Node itself, as a peer.
 *
 * @returns {Peer}
 */
export function nodePeer() {
  return { name: 'node', version: process.versions.node };
}

/**
 * `name@version, …` for printing.
 *
 * @param {readonly Peer[]} peers
 * @returns {string}
 */
export function formatPeers(peers) {
  return peers.map((p) => `${p.name}@${p.version}`).join(', ');
}
