/**
 * The TypeScript examples of every README (the root one and each package's
 * under src/) compile against the built packages, so they cannot rot. Each
 * ```ts block is type-checked as its own module, in memory (nothing is
 * written); one program checks them all, and each README is its own test.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const READMES = [
  'README.md',
  ...readdirSync(join(root, 'src'))
    .map((folder) => `src/${folder}/README.md`)
    .filter((path) => existsSync(join(root, path)))
    .sort(),
];

function snippets(readme: string): string[] {
  const text = readFileSync(join(root, readme), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => `${match[1]}\nexport {};\n`);
}

/** Virtual .mts files beside this test, so '@ward/*' resolves through node_modules as ESM. */
function virtualName(readme: string, index: number): string {
  return join(root, 'test/readmes', `${readme.replace(/[/.]/g, '_')}_${index + 1}.mts`);
}

function typeErrors(files: Map<string, string>): ts.Diagnostic[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    esModuleInterop: true,
    noEmit: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, onError, create) => {
    const text = files.get(name);
    return text !== undefined ? ts.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, onError, create);
  };
  return [...ts.getPreEmitDiagnostics(ts.createProgram([...files.keys()], options, host))];
}

const errorsByReadme = new Map<string, string[]>();

beforeAll(() => {
  const files = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const readme of READMES) {
    errorsByReadme.set(readme, []);
    snippets(readme).forEach((code, i) => {
      files.set(virtualName(readme, i), code);
      owner.set(virtualName(readme, i), readme);
    });
  }
  for (const d of typeErrors(files)) {
    const file = d.file?.fileName;
    const readme = (file !== undefined ? owner.get(file) : undefined) ?? 'README.md';
    const where = d.file ? `${d.file.fileName.slice(root.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    errorsByReadme.get(readme)?.push(`${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
}, 120_000);

describe('README examples type-check', () => {
  it.each(READMES)('%s has ```ts examples', (readme) => {
    expect(snippets(readme).length, `${readme} shows no \`\`\`ts example`).toBeGreaterThan(0);
  });

  it.each(READMES)('every ```ts block of %s compiles', (readme) => {
    expect(errorsByReadme.get(readme)).toEqual([]);
  });
});
