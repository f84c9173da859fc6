import { z } from 'zod';

/** The body of one images-queue message: one image to fetch, convert and store. */
export const imageMessageSchema = z.object({
  imageId: z.number().int().positive(),
  sourceUrl: z.string().min(1),
  attempt: z.number().int().min(0),
});
export type ImageMessage = z.infer<typeof imageMessageSchema>;

export function encodeImageMessage(message: ImageMessage): string {
  return JSON.stringify(message);
}

/** Parses a message body; returns the reason instead of throwing, so the worker can log and move on. */
export function decodeImageMessage(body: string): { ok: true; message: ImageMessage } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = imageMessageSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  }
  return { ok: true, message: parsed.data };
}
