import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { ApiClient } from './api/api-client.js';
import type { Capability, CapabilityStore } from './api/capabilities.js';

/** What every page gets: the API client of the pasted token and what that token may do. */
export interface AppServices {
  api: ApiClient;
  capabilities: CapabilityStore;
  logout(): void;
}

export const AppContext = createContext<AppServices | undefined>(undefined);

/** The services of the logged-in console. */
export function useApp(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error('useApp() outside the logged-in console');
  return services;
}

/** Whether the console should offer `capability` (re-renders when a refusal is recorded). */
export function useCapability(capability: Capability): boolean {
  const { capabilities } = useApp();
  const [allowed, setAllowed] = useState(() => capabilities.may(capability));
  useEffect(() => capabilities.subscribe(() => setAllowed(capabilities.may(capability))), [capabilities, capability]);
  return allowed;
}
