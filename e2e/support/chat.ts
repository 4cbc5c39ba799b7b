/**
 * Driving the chat view by what it shows: the composer ("Message", "Send"), the chat's `data-state`
 * (idle | streaming | awaiting-approval | error), answers (`data-testid=message`, `data-role`,
 * `data-status`) and tool cards (`data-testid=tool-card`, `data-state` running | ok | error, `data-tool`).
 */
import { expect, type Locator, type Page } from '@playwright/test';

export const chatView = (page: Page) => page.getByTestId('chat');
export const answers = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]');
export const lastAnswer = (page: Page) => answers(page).last();

/** Starts a new conversation (the chat view, empty). */
export async function newChat(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(chatView(page)).toHaveAttribute('data-state', 'idle');
  await expect(answers(page)).toHaveCount(0);
}

/** Sends `text` and waits until the turn ends (`idle`) or stops for a decision (`awaiting-approval`).
 *  Returns the new answer. */
export async function ask(
  page: Page,
  text: string,
  until: 'idle' | 'awaiting-approval' = 'idle',
): Promise<Locator> {
  const before = await answers(page).count();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(answers(page)).toHaveCount(before + 1);
  const answer = answers(page).nth(before);
  await expect(chatView(page)).toHaveAttribute('data-state', until);
  if (until === 'idle') await expect(answer).toHaveAttribute('data-status', 'complete');
  return answer;
}

/** The tool cards of an answer, optionally only those of one tool. */
export function toolCards(answer: Locator, tool?: string): Locator {
  return answer.locator(
    tool ? `[data-testid="tool-card"][data-tool="${tool}"]` : '[data-testid="tool-card"]',
  );
}

/**
 * Approves the change the "Approve change?" dialog shows and waits for the turn to finish: the dialog
 * closes, the chat is idle, the answer is complete. Returns that answer.
 */
export async function approveAndFinish(page: Page, dialog: Locator): Promise<Locator> {
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await expect(dialog).toBeHidden();
  await expect(chatView(page)).toHaveAttribute('data-state', 'idle');
  const answer = lastAnswer(page);
  await expect(answer).toHaveAttribute('data-status', 'complete');
  return answer;
}

/** Opens a tool card (if closed) and returns its body (arguments, result, error). */
export async function openToolCard(card: Locator): Promise<Locator> {
  const head = card.locator('button.tool-head, button[aria-expanded]').first();
  if ((await head.getAttribute('aria-expanded')) !== 'true') await head.click();
  await expect(head).toHaveAttribute('aria-expanded', 'true');
  const id = await head.getAttribute('aria-controls');
  return id ? card.page().locator(`[id="${id}"]`) : card;
}

/** Every ticket number in a text. */
export function ticketNumbers(text: string): string[] {
  return [...new Set(text.match(/\bTCK-\d+\b/g) ?? [])].sort();
}
