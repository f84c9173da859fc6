import { Unauthorized } from './api.ts';
import { byId } from './dom.ts';

/** Fired after an action changed something, so the page refreshes at once instead of at the next poll. */
export const changedEvent = 'catalog-importer:changed';

/** The status line at the top of the page. */
export function say(text: string, isError = false): void {
  const message = byId('message');
  message.textContent = text;
  message.className = isError ? 'error' : '';
}

/** Runs a button's action: the button is disabled meanwhile, the outcome or the error is said. */
export async function act<T>(button: HTMLButtonElement, run: () => Promise<T>, describe: (value: T) => string): Promise<void> {
  button.disabled = true;
  try {
    say(describe(await run()));
    document.dispatchEvent(new Event(changedEvent));
  } catch (error) {
    if (!(error instanceof Unauthorized)) say(error instanceof Error ? error.message : String(error), true);
  } finally {
    button.disabled = false;
  }
}
