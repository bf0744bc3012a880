import type { ModelMessage } from 'ai';

/** Chars of a tool result kept in the transcript's text column. */
const TOOL_RESULT_TEXT_CHARS = 2000;

/** The readable text of a model message for the transcript (the full message is stored beside it). */
export function transcriptText(message: ModelMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => {
      if (part.type === 'text') return part.text;
      if (part.type === 'tool-call') return `[tool-call ${part.toolName}] ${JSON.stringify(part.input)}`;
      if (part.type === 'tool-result')
        return `[tool-result ${part.toolName}] ${JSON.stringify(part.output).slice(0, TOOL_RESULT_TEXT_CHARS)}`;
      return '';
    })
    .filter((text) => text !== '')
    .join('\n');
}

/** The system prompt of an agent without its own `system`. */
export function defaultSystemPrompt(agentId: string, sessionKey: string): string {
  return `You are Pincer agent "${agentId}" in session ${sessionKey}. Use tools when they help. Reply HEARTBEAT_OK to a heartbeat when nothing needs attention.`;
}
