import { z } from 'zod';

/** The body of one images-queue message: one image source to fetch, convert and store. */
export const imageMessageSchema = z.object({
  sourceId: z.number().int().positive(),
  sourceUrl: z.string().min(1),
  /** The source's fencing token when it was sent; informational (the worker's claim takes a new one). */
  attempt: z.number().int().min(0),
});
export type ImageMessage = z.infer<typeof imageMessageSchema>;

/** Messages sent before image sources existed named a product_images row; migration 0004 made those pending again. */
const legacyMessageSchema = z.object({ imageId: z.number().int().positive(), sourceUrl: z.string() });

export function encodeImageMessage(message: ImageMessage): string {
  return JSON.stringify(message);
}

export type DecodedMessage =
  | { ok: true; message: ImageMessage }
  /** `legacy`: nothing to do, its work was put back to pending when the database moved to image sources. */
  | { ok: false; reason: string; legacy?: boolean };

/** Parses a message body; returns the reason instead of throwing, so the worker can log and move on. */
export function decodeImageMessage(body: string): DecodedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = imageMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const legacy = legacyMessageSchema.safeParse(json);
  if (legacy.success) return { ok: false, legacy: true, reason: `sent before image sources existed (${legacy.data.sourceUrl})` };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
}
