/**
 * Packaging smoke test: every built package under src/<pkg>/dist loads by
 * its name from ESM (import()) and from CommonJS (require(), which loads ESM
 * on Node 20.19+), and every file its exports map names exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(join(root, 'package.json'));

interface Manifest {
  name: string;
  exports?: Record<string, { types?: string; default?: string }>;
}

const built = readdirSync(join(root, 'src'))
  .filter((folder) => existsSync(join(root, 'src', folder, 'dist', 'index.js')))
  .map((folder) => ({ folder, manifest: JSON.parse(readFileSync(join(root, 'src', folder, 'package.json'), 'utf8')) as Manifest }));

/** Every entry point: the package name and its subpaths (`@ward/core/testing`). */
const entries = built.flatMap(({ folder, manifest }) =>
  Object.keys(manifest.exports ?? { '.': {} }).map((subpath) => ({
    folder,
    manifest,
    subpath,
    specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, '')}`,
  })),
);

describe('packaging', () => {
  it('finds the built packages (at least @ward/core and @ward/node)', () => {
    expect(built.map((b) => b.manifest.name)).toEqual(expect.arrayContaining(['@ward/core', '@ward/node']));
  });

  describe.each(entries)('$specifier', ({ folder, manifest, subpath, specifier }) => {
    it('imports from ESM with named exports', async () => {
      const mod = (await import(specifier)) as Record<string, unknown>;
      expect(Object.keys(mod).length).toBeGreaterThan(0);
    });

    it('loads with require() and gives the same exports', async () => {
      const esm = (await import(specifier)) as Record<string, unknown>;
      const cjs = require(specifier) as Record<string, unknown>;
      expect(Object.keys(cjs).filter((k) => k !== '__esModule' && k !== 'module.exports').sort()).toEqual(
        Object.keys(esm).filter((k) => k !== 'default').sort(),
      );
    });

    it('has the files its exports map names (JS and TypeScript declarations)', () => {
      const target = manifest.exports?.[subpath];
      expect(target?.default, 'exports default').toBeDefined();
      expect(target?.types, 'exports types').toBeDefined();
      expect(existsSync(join(root, 'src', folder, target!.default!))).toBe(true);
      expect(existsSync(join(root, 'src', folder, target!.types!))).toBe(true);
    });
  });
});
