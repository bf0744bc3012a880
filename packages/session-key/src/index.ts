export {
  DEFAULT_ACCOUNT_ID,
  DEFAULT_AGENT_ID,
  DEFAULT_MAIN_KEY,
  LEGACY_IMPLICIT_AGENT_ID,
  MAX_AGENT_ID_LENGTH,
  isValidAgentId,
  normalizeAccountId,
  normalizeAgentId,
  normalizeAgentIdStrict,
  normalizeMainKey,
  normalizeOptionalAccountId,
  normalizeOptionalAgentId,
  sanitizeAgentId,
  type StrictAgentIdResult,
} from './agent-id.js';
export {
  assertCanonicalAgentSessionKey,
  canonicalAgentId,
  canonicalAgentSessionKeySchema,
  canonicalSessionKeySchema,
  canonicalizeSessionKey,
  isCanonicalSessionKey,
  type CanonicalSessionKey,
  type CanonicalizeSessionKeyOptions,
} from './canonical.js';
export { SessionKeyError, type SessionKeyErrorCode, type SessionKeyErrorOptions } from './errors.js';
export {
  normalizeSessionKeyPreservingOpaquePeerIds,
  normalizeSessionPeerId,
} from './opaque-peer.js';
export {
  classifySessionKeyShape,
  isUnscopedSessionKeySentinel,
  parseAgentSessionKey,
  parseAgentSessionKeyParts,
  resolveAgentIdFromSessionKey,
  type ParsedAgentSessionKey,
  type SessionKeyShape,
} from './parse.js';
export {
  agentSessionKeysMatchByRequestKey,
  buildAgentMainSessionKey,
  scopeLegacySessionKeyToAgent,
  toAgentRequestSessionKey,
  toAgentStoreSessionKey,
} from './store-key.js';
export {
  buildAgentPeerSessionKey,
  buildGroupHistoryKey,
  resolveLinkedDirectPeerId,
  type AgentPeerSessionKeyParams,
  type DmScope,
  type GroupScope,
  type IdentityLinks,
} from './peer-key.js';
export {
  parseThreadSessionSuffix,
  resolveThreadSessionKeys,
  type ThreadSessionKeys,
  type ThreadSessionSuffix,
} from './thread.js';
export {
  getSubagentDepth,
  isAcpSessionKey,
  isCronRunSessionKey,
  isCronSessionKey,
  isIncognitoSessionKey,
  isSubagentSessionKey,
  parseCronRunScopeSuffix,
  resolveSessionDispatchKind,
  type CronRunScopeSuffix,
} from './families.js';
export { canonicalizeMainSessionAlias, type SessionKeyConfig } from './main-alias.js';
export {
  normalizeExplicitSessionKey,
  type ExplicitSessionKey,
  type ExplicitSessionKeyInput,
} from './explicit-key.js';
export { resolveSubagentSessionKey, type SubagentSessionKeyInput } from './subagent-key.js';
export { deriveProcessScopeKey, type ProcessScopeKeyInput } from './process-scope.js';
export {
  agentIdSchema,
  agentSessionKeySchema,
  explicitSessionKeyInputSchema,
  processScopeKeyInputSchema,
  sessionKeySchema,
  subagentSessionKeyInputSchema,
  type AgentId,
  type AgentSessionKey,
  type ExplicitSessionKeyInputShape,
  type SessionKey,
} from './schemas.js';
