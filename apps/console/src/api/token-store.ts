/** sessionStorage key of the pasted token (gone when the tab closes). */
export const TOKEN_STORAGE_KEY = 'pincer.console.token';

/** The token of this tab, if one was pasted. */
export function loadToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keep `token` for this tab only (sessionStorage, never localStorage or a cookie). */
export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // storage disabled: the token lives in memory until reload
  }
}

/** Forget the token. */
export function clearToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // nothing stored
  }
}
