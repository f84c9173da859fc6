import { readFileSync } from 'node:fs';
import type { ImageConfig } from '../src/images/convert.ts';
import { answerParent, timedPool, type Timing } from './measure.ts';
import { rawSharpRenditions } from './raw-sharp.ts';

export interface RawSharpRun {
  /** One file path per image, repeats allowed (each file is read once). */
  paths: string[];
  inFlight: number;
  image: ImageConfig;
}

// The end-to-end baseline in its own process, started like the worker's (same environment, libuv
// pool and allocator), so neither side runs next to the emulator and fixture CDN of the bench process.
answerParent<RawSharpRun, Timing>(async ({ paths, inFlight, image }) => {
  const files = new Map(paths.map((path) => [path, readFileSync(path)]));
  const { wallMs, cpuMs } = await timedPool(paths, inFlight, (path) => rawSharpRenditions(files.get(path)!, image));
  return { wallMs, cpuMs };
});
