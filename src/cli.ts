#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
// Both must be in place before the program's modules load, so the program is imported after them.
import './cli/esm-format-cache.ts';

// V8's compiled code for the CLI's modules is kept between commands (in the OS temp directory,
// keyed by content): a warm command compiles nothing it compiled before.
enableCompileCache();

await import('./cli/program.ts');
