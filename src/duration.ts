const secondsPerUnit = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `30d`, `12h`, `90m` or `600s` (any case, spaces allowed) in seconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd])\s*$/i.exec(text);
  return match ? Number(match[1]) * secondsPerUnit[match[2]!.toLowerCase() as keyof typeof secondsPerUnit] : undefined;
}
