import type { AppContext } from '../../context.ts';
import { AdminError, AdminErrorKind } from '../errors.ts';

/** The DLQ URL, or a clear refusal when the deployment has none configured. */
export function requireDlq(ctx: AppContext): string {
  if (!ctx.dlqUrl) throw new AdminError(AdminErrorKind.notConfigured, 'no DLQ: set IMAGES_DLQ_URL (or IMAGES_DLQ_NAME)');
  return ctx.dlqUrl;
}
