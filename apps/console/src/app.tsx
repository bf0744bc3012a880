import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApiClient } from './api/api-client.js';
import { type Capability, createCapabilityStore, fetchIdentity, type Identity } from './api/capabilities.js';
import { ConsoleError } from './api/console-error.js';
import { clearToken, loadToken, saveToken } from './api/token-store.js';
import { AppContext, type AppServices } from './app-context.js';
import { Link } from './components/link.js';
import { AuditPage } from './pages/audit-page.js';
import { CronPage } from './pages/cron-page.js';
import { LoginPage } from './pages/login-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { SessionPage } from './pages/session-page.js';
import { SessionsPage } from './pages/sessions-page.js';
import { ShellPage } from './pages/shell-page.js';
import { ShellsPage } from './pages/shells-page.js';
import { StatusPage } from './pages/status-page.js';
import { parseRoute, pathFor, useLocation, type Route } from './router.js';

/** The navigation; a page whose `capability` the token lacks is not offered (its URL still answers, with the API's refusal). */
const NAV: ReadonlyArray<{
  label: string;
  route: Exclude<Route, { name: 'not-found' | 'session' | 'shell' }>;
  section: Route['name'][];
  capability?: Capability;
}> = [
  { label: 'Sessions', route: { name: 'sessions' }, section: ['sessions', 'session'], capability: 'sessions:read' },
  { label: 'Shells', route: { name: 'shells' }, section: ['shells', 'shell'], capability: 'processes:read' },
  { label: 'Cron', route: { name: 'cron' }, section: ['cron'], capability: 'cron:read' },
  { label: 'Audit', route: { name: 'audit' }, section: ['audit'], capability: 'audit:read' },
  { label: 'Status', route: { name: 'status' }, section: ['status'] },
];

const TITLES: Record<Route['name'], string> = {
  sessions: 'Sessions',
  session: 'Session',
  shells: 'Shells',
  shell: 'Shell',
  cron: 'Cron',
  audit: 'Audit log',
  status: 'Status',
  'not-found': 'Not found',
};

function Page(props: { route: Route; search: string }) {
  const { route } = props;
  switch (route.name) {
    case 'sessions':
      return <SessionsPage search={props.search} />;
    case 'session':
      return <SessionPage sessionKey={route.key} key={route.key} />;
    case 'shells':
      return <ShellsPage search={props.search} />;
    case 'shell':
      return <ShellPage shellId={route.id} key={route.id} />;
    case 'cron':
      return <CronPage />;
    case 'audit':
      return <AuditPage />;
    case 'status':
      return <StatusPage />;
    default:
      return <NotFoundPage path={route.path} />;
  }
}

function identityText(identity: Identity): string {
  if (identity.kind === 'operator') return 'Operator';
  if (identity.kind === 'scoped')
    return `Scoped${identity.name ? `: ${identity.name}` : ''}${identity.scope ? ` (${identity.scope})` : ''}`;
  return 'Logged in';
}

/** The logged-in console: header, navigation and the page of the current URL. */
function Shell(props: { services: AppServices }) {
  const { pathname, search } = useLocation();
  const route = parseRoute(pathname);
  const main = useRef<HTMLElement>(null);
  const isFirst = useRef(true);
  useEffect(() => {
    document.title = `${TITLES[route.name]} · Pincer console`;
    // After a navigation, move focus to the new page's heading so keyboard and screen-reader users start there.
    if (isFirst.current) {
      isFirst.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [pathname, route.name]);
  const { capabilities } = props.services;
  const identity = capabilities.identity();
  // A refusal recorded anywhere can take a page out of the navigation.
  const [, setRefusals] = useState(0);
  useEffect(() => capabilities.subscribe(() => setRefusals((count) => count + 1)), [capabilities]);
  return (
    <AppContext.Provider value={props.services}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Pincer</span>
        <nav aria-label="Console">
          <ul>
            {NAV.filter((item) => item.capability === undefined || capabilities.may(item.capability)).map((item) => (
              <li key={item.label}>
                <Link href={pathFor(item.route)} aria-current={item.section.includes(route.name) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="identity">{identityText(identity)}</span>
          <button type="button" onClick={props.services.logout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} search={search} />
      </main>
    </AppContext.Provider>
  );
}

/** Login, then the console for that token. */
export function App() {
  const [token, setToken] = useState<string | undefined>(() => loadToken());
  const [identity, setIdentity] = useState<Identity | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const logout = (why?: string) => {
    clearToken();
    setToken(undefined);
    setIdentity(undefined);
    setNotice(why);
  };
  const services = useMemo<AppServices | undefined>(() => {
    if (token === undefined || identity === undefined) return undefined;
    const api = createApiClient({
      token,
      onUnauthorized: () => logout('The gateway refused the token (revoked, expired or mistyped). Paste a valid one.'),
    });
    return { api, capabilities: createCapabilityStore(identity), logout: () => logout() };
  }, [token, identity]);

  // Checks a token: whoami when the gateway has it; else any read that needs a valid token.
  const check = async (candidate: string): Promise<Identity> => {
    const api = createApiClient({ token: candidate });
    const found = await fetchIdentity(api);
    if (found.kind === 'unknown') {
      try {
        await api.get('/v1/sessions', { limit: 1 });
      } catch (error) {
        if (!ConsoleError.isInstance(error) || error.code !== 'forbidden') throw error;
      }
    }
    return found;
  };

  useEffect(() => {
    if (token === undefined || identity !== undefined) return;
    check(token).then(setIdentity, (error: unknown) =>
      logout(
        ConsoleError.isInstance(error) && error.code === 'unauthorized'
          ? 'The stored token is no longer valid.'
          : `Could not reach the gateway: ${String(error)}`,
      ),
    );
  }, [token]);

  if (token !== undefined && identity === undefined)
    return (
      <p role="status" class="loading">
        Checking the token…
      </p>
    );
  if (!services) {
    return (
      <LoginPage
        notice={notice}
        onLogin={async (candidate) => {
          try {
            const found = await check(candidate);
            saveToken(candidate);
            setNotice(undefined);
            setIdentity(found);
            setToken(candidate);
            return undefined;
          } catch (error) {
            if (ConsoleError.isInstance(error) && error.code === 'unauthorized') return 'The gateway refused this token.';
            if (ConsoleError.isInstance(error) && error.code === 'rate_limited')
              return 'Too many failed attempts from this address; wait a few minutes.';
            return error instanceof Error ? error.message : String(error);
          }
        }}
      />
    );
  }
  return <Shell services={services} />;
}
