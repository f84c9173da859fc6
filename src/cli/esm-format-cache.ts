import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Node learns an ESM file's format by reading its package's package.json again for every file it
// resolves. drizzle-orm ships ~450 files under a 178 KB package.json (447 exports), so that lookup
// alone took a third of a second of every CLI command. A package's "type" cannot change while a
// command runs: this hook looks it up once per directory and tells Node the format of relative
// `.js` imports inside packages whose type is "module". Anything else goes to Node's own resolver.

const typeOfDir = new Map<string, string | null>();

/** The "type" of the nearest package.json above `dir` (null when it names none). */
function packageType(dir: string): string | null {
  const known = typeOfDir.get(dir);
  if (known !== undefined) return known;
  let type: string | null;
  try {
    type = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type ?? null;
  } catch {
    const parent = dirname(dir);
    type = parent === dir ? null : packageType(parent);
  }
  typeOfDir.set(dir, type);
  return type;
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (relative && specifier.endsWith('.js') && parent?.startsWith('file:') && parent.includes('/node_modules/') && context.conditions?.includes('import')) {
      const url = new URL(specifier, parent);
      if (packageType(dirname(fileURLToPath(url))) === 'module') return { url: url.href, format: 'module', shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
