#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping); this shim only gives them a bin name.
await import('../src/cli.ts');
