import { useState } from 'preact/hooks';

/** Paste a token (operator or scoped). It is checked against the gateway before it is kept. */
export function LoginPage(props: { onLogin: (token: string) => Promise<string | undefined>; notice?: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [isBusy, setBusy] = useState(false);
  return (
    <main id="main" class="login">
      <h1>Pincer console</h1>
      <form
        class="panel"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const problem = await props.onLogin(token.trim());
          setBusy(false);
          setError(problem);
        }}
      >
        <label for="token">Gateway token</label>
        <p id="token-help" class="hint">
          The operator token (<code>~/.pincer/token</code>) or a scoped token. It is kept in this tab only (sessionStorage) and sent as a
          bearer header.
        </p>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          aria-describedby={error ? 'token-help token-error' : 'token-help'}
          aria-invalid={error ? true : undefined}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        {(error ?? props.notice) && (
          <p id="token-error" class="error-text" role="alert">
            {error ?? props.notice}
          </p>
        )}
        <button type="submit" disabled={isBusy || token.trim() === ''}>
          {isBusy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
