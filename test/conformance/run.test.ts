/**
 * Runs every scenario of scenarios.ts, unchanged, on every target of
 * targets/, over real sockets. See README.md.
 */
import { describe, it } from 'vitest';
import { runScenario } from './harness.js';
import { SCENARIOS } from './scenarios.js';
import { TARGETS } from './targets/index.js';

for (const target of TARGETS) {
  describe(target.name, () => {
    for (const scenario of SCENARIOS.filter((s) => s.group === undefined)) {
      it(scenario.name, () => runScenario(target, scenario));
    }
    describe('security: hostile inputs', () => {
      for (const scenario of SCENARIOS.filter((s) => s.group === 'security')) {
        it(scenario.name, () => runScenario(target, scenario));
      }
    });
  });
}
