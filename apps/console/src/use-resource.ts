import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ConsoleError } from './api/console-error.js';

/** State of a loaded resource. */
export interface Resource<T> {
  data: T | undefined;
  error: ConsoleError | undefined;
  isLoading: boolean;
  /** Load again now (keeps showing the previous data meanwhile). */
  reload(): void;
}

const asConsoleError = (error: unknown): ConsoleError =>
  ConsoleError.isInstance(error) ? error : new ConsoleError('invalid_response', error instanceof Error ? error.message : String(error));

/**
 * Loads `load()` when `key` changes, and every `pollMs` while `pollMs` is set (one request at a
 * time; a slow answer is never overtaken by an older one).
 */
export function useResource<T>(key: string, load: () => Promise<T>, options: { pollMs?: number | undefined } = {}): Resource<T> {
  const [state, setState] = useState<{ key: string; data: T | undefined; error: ConsoleError | undefined; isLoading: boolean }>({
    key,
    data: undefined,
    error: undefined,
    isLoading: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const inFlight = useRef(false);

  const run = useCallback(() => {
    if (inFlight.current) return;
    inFlight.current = true;
    const mine = generation.current;
    loadRef.current().then(
      (data) => {
        inFlight.current = false;
        if (mine === generation.current) setState({ key, data, error: undefined, isLoading: false });
      },
      (error: unknown) => {
        inFlight.current = false;
        if (mine === generation.current)
          setState((previous) => ({
            key,
            data: previous.key === key ? previous.data : undefined,
            error: asConsoleError(error),
            isLoading: false,
          }));
      },
    );
  }, [key]);

  useEffect(() => {
    generation.current += 1;
    inFlight.current = false;
    setState((previous) =>
      previous.key === key ? { ...previous, isLoading: true } : { key, data: undefined, error: undefined, isLoading: true },
    );
    run();
    if (options.pollMs === undefined) return undefined;
    const timer = setInterval(run, options.pollMs);
    return () => clearInterval(timer);
  }, [key, run, options.pollMs]);

  const current = state.key === key ? state : { data: undefined, error: undefined, isLoading: true };
  return { data: current.data, error: current.error, isLoading: current.isLoading, reload: run };
}
