/**
 * Runs the type tests: type-checks public-types.test-d.ts with the
 * TypeScript compiler (the project's strict settings) and fails on any
 * diagnostic — a failed expectTypeOf, or a @ts-expect-error with no error.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const configPath = fileURLToPath(new URL('./tsconfig.json', import.meta.url));
const typeTests = fileURLToPath(new URL('./public-types.test-d.ts', import.meta.url));

function diagnosticsOf(file: string): string[] {
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, fileURLToPath(new URL('.', import.meta.url)));
  const program = ts.createProgram({ rootNames: [file], options: parsed.options });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

describe('public types', () => {
  it('public-types.test-d.ts type-checks with no diagnostics', { timeout: 60_000 }, () => {
    expect(diagnosticsOf(typeTests)).toEqual([]);
  });

  it('the file holds the @ts-expect-error cases it claims', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(typeTests, 'utf8');
    expect(text.match(/@ts-expect-error/g)?.length).toBeGreaterThanOrEqual(8);
  });
});
