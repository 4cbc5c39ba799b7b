/**
 * A mark in sessionStorage, set while this tab has a session: after a reload (or a link pasted into the
 * same tab) the app signs in again without asking, because the identity provider still knows the person.
 * Signing out, or a sign-in that failed, removes it.
 */
const KEY = 'msi.session-hint';

export const sessionHint = {
  get present(): boolean {
    try {
      return sessionStorage.getItem(KEY) !== null;
    } catch {
      return false;
    }
  },
  set(): void {
    try {
      sessionStorage.setItem(KEY, '1');
    } catch {
      // Without storage a reload asks to sign in again; nothing else changes.
    }
  },
  clear(): void {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // as above
    }
  },
};
