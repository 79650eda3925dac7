// The packages' public faces, checked from their `exports` maps: every name an entry point exports
// is documented, the indexes stay small, and no package reaches into another one's src/ or dist/.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const PACKAGES = fs.readdirSync(path.join(ROOT, 'packages')).filter((name) => fs.existsSync(path.join(ROOT, 'packages', name, 'package.json')));

interface Entry {
  pkg: string;
  specifier: string;
  file: string;
}

function entriesOf(pkg: string): Entry[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as {
    name: string;
    exports?: Record<string, string | { types: string; default: string }>;
  };
  expect(manifest.exports).toBeDefined();
  return Object.entries(manifest.exports ?? {})
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const types = typeof target === 'string' ? target : target.types;
      const file = path.join(ROOT, 'packages', pkg, types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
      return { pkg, specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, file };
    });
}

const entries = PACKAGES.flatMap(entriesOf);

const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: ROOT,
    paths: { '@partita/*': ['packages/*/src/index.ts'] },
    types: ['node'],
  },
);
const checker = program.getTypeChecker();

function exportedNames(file: string): Array<{ name: string; documented: boolean }> {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [];
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const docs = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
    return { name: symbol.getName(), documented: docs.length > 0 };
  });
}

describe('the public faces of the packages', () => {
  test.each(entries.map((e) => [e.specifier, e] as const))('every name %s exports has TSDoc', (_specifier, entry) => {
    expect(fs.existsSync(entry.file)).toBe(true);
    const names = exportedNames(entry.file);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !n.documented).map((n) => n.name)).toEqual([]);
  });

  test('the indexes of the packages apps import hold a few dozen names each, not their plumbing', () => {
    const plumbing = [
      'setJobDispatcher',
      'TypedEmitter',
      'toSuperJsonText',
      'parseJsonArray',
      'ENCODED_ENVELOPE',
      'producerConfig',
      'baseClientConfig',
      'getProducer',
    ];
    for (const pkg of ['job', 'enqueuer', 'worker', 'state']) {
      const names = exportedNames(path.join(ROOT, 'packages', pkg, 'src/index.ts')).map((n) => n.name);
      expect({ pkg, plumbing: names.filter((n) => plumbing.includes(n)) }).toEqual({ pkg, plumbing: [] });
      expect({ pkg, count: names.length <= 50 }).toEqual({ pkg, count: true });
    }
  });
});

describe('dependencies between the packages', () => {
  const SOURCE_DIRS = ['packages', 'apps', 'scripts', 'test'];
  function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      if (d.name === 'node_modules' || d.name === 'dist' || d.name.startsWith('.')) return [];
      const full = path.join(dir, d.name);
      if (d.isDirectory()) return sourceFiles(full);
      return /\.(ts|js|mjs|cjs)$/.test(d.name) ? [full] : [];
    });
  }
  const files = SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)));
  const SPECIFIER = /(?:from\s+|require\(\s*|import\(\s*)['"]([^'"]+)['"]/g;

  test('no file imports another package by its src/ or dist/ folder', () => {
    const offenders: string[] = [];
    for (const file of files) {
      const own = path.relative(ROOT, file).match(/^packages\/([^/]+)\//)?.[1];
      for (const [, specifier] of fs.readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const resolved = specifier.startsWith('.') ? path.relative(ROOT, path.resolve(path.dirname(file), specifier)) : specifier;
        const target = resolved.match(/^(?:packages\/([^/]+)\/(?:src|dist)|@partita\/([^/]+)\/(?:src|dist))(?:\/|$)/);
        const targetPkg = target?.[1] ?? target?.[2];
        if (targetPkg && targetPkg !== own) offenders.push(`${path.relative(ROOT, file)} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  test('@partita/job depends on no other partita package, and nothing depends on the packages above it', () => {
    const deps = (pkg: string) => {
      const m = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      return Object.keys({ ...m.dependencies, ...m.peerDependencies }).filter((d) => d.startsWith('@partita/'));
    };
    expect(deps('job')).toEqual([]);
    expect(deps('kafka')).toEqual(['@partita/job']);
    for (const pkg of ['enqueuer', 'worker']) expect(deps(pkg).sort()).toEqual(['@partita/job', '@partita/kafka', '@partita/state']);
    expect(deps('state').filter((d) => d !== '@partita/job')).toEqual([]);
  });
});
