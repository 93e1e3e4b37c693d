/**
 * The fake model's answer: a deterministic account of what the prompt contained, so a newcomer
 * without a GPU can see every tool work end to end and check that the discipline, the brain's notes,
 * the session history and the code really reach the model.
 */
import type { ChatRequest } from './fake-litellm.js';

export function describePrompt(request: ChatRequest): string {
  const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
  const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
  const section = (title: string) => new RegExp(`^## ${title}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(user)?.[1] ?? '';
  const headings = [...system.matchAll(/^# (.+)$/gm)].map((m) => m[1]);
  const notes = [...section('Relevant knowledge').matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  const history = section('Session history').split('\n').filter((line) => line.startsWith('- '));
  const task = section('Task');
  const phase = /\*\*Phase:\*\* (.+)/.exec(task)?.[1] ?? 'none';
  const files = [...task.matchAll(/^#### `(.+)`$/gm)].map((m) => m[1]);
  const lines = [
    `**Fake model ${request.model}**: no real model was asked. This is what the prompt contained.`,
    '',
    `- **Discipline**: ${headings.join(' · ') || 'none'} (${system.length} characters)`,
    `- **Relevant knowledge**: ${notes.length ? notes.map((n) => `${n}`).join('; ') : 'none'}`,
    `- **Session history**: ${history.length} earlier call(s)${history.length ? `, latest: ${history.at(-1)?.slice(2, 120)}` : ''}`,
    `- **Task**: phase ${phase}; ${files.length ? `code attached: ${files.join(', ')}` : 'no code attached'} (${user.length} characters in all)`,
  ];
  return lines.join('\n');
}
