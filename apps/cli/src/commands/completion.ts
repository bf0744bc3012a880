import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';

/** The shells `pincer completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
/** One of {@link COMPLETION_SHELLS}. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** A command path (`''`, `sessions`, `sessions list`) with its subcommands and options. */
interface CommandNode {
  path: string;
  subcommands: string[];
  options: string[];
}

/** Every command of the program as a flat list of nodes (subcommand names and aliases, long and short options). */
export function commandTree(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string): void => {
    const visible = command.commands.filter((child) => child.name() !== 'help');
    nodes.push({
      path,
      subcommands: visible.flatMap((child) => [child.name(), ...child.aliases()]),
      options: [
        ...command.options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => flag !== undefined)),
        '--help',
      ],
    });
    for (const child of visible) visit(child, path === '' ? child.name() : `${path} ${child.name()}`);
  };
  visit(program, '');
  return nodes;
}

/** The completion script for `shell`, generated from the program's commands and options. */
export function completionScript(program: Command, shell: CompletionShell): string {
  const nodes = commandTree(program);
  if (shell === 'fish') return fishScript(nodes);
  const bash = bashScript(nodes);
  // zsh runs the same function through its bash-completion emulation.
  return shell === 'zsh' ? `#compdef pincer\nautoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}

function bashScript(nodes: readonly CommandNode[]): string {
  const children = nodes.map((node) => `    "${node.path}") echo "${node.subcommands.join(' ')}" ;;`).join('\n');
  const words = nodes.map((node) => `    "${node.path}") echo "${[...node.subcommands, ...node.options].join(' ')}" ;;`).join('\n');
  return `# pincer completion for bash. Load it with:  source <(pincer completion bash)
_pincer_children() {
  case "$1" in
${children}
  esac
}
_pincer_words() {
  case "$1" in
${words}
  esac
}
_pincer() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ " $(_pincer_children "$path") " == *" $word "* ]]; then
      path="\${path:+$path }$word"
    fi
  done
  COMPREPLY=( $(compgen -W "$(_pincer_words "$path")" -- "$cur") )
}
complete -o default -F _pincer pincer
`;
}

function fishScript(nodes: readonly CommandNode[]): string {
  const lines = ['# pincer completion for fish. Load it with:  pincer completion fish | source', 'complete -c pincer -f'];
  for (const node of nodes) {
    const words = node.path === '' ? [] : node.path.split(' ');
    const condition =
      words.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${words[words.length - 1]}${words.length > 1 ? `; and __fish_seen_subcommand_from ${words[0]}` : ''}`;
    for (const sub of node.subcommands) lines.push(`complete -c pincer -n '${condition}' -a '${sub}'`);
    for (const option of node.options) {
      lines.push(
        option.startsWith('--')
          ? `complete -c pincer -n '${condition}' -l '${option.slice(2)}'`
          : `complete -c pincer -n '${condition}' -s '${option.slice(1)}'`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function parseShell(value: string): CompletionShell {
  const shell = value.trim().toLowerCase();
  if ((COMPLETION_SHELLS as readonly string[]).includes(shell)) return shell as CompletionShell;
  throw new InvalidArgumentError(`Expected one of ${COMPLETION_SHELLS.join(', ')}.`);
}

/** Registers `pincer completion bash|zsh|fish`. */
export function registerCompletionCommand(program: Command, ctx: CommandContext): void {
  program
    .command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish', parseShell)
    .addHelpText(
      'after',
      `
Examples:
  $ pincer completion bash > /etc/bash_completion.d/pincer  # bash, every shell
  $ source <(pincer completion bash)                       # bash, this shell only
  $ pincer completion zsh > "\${fpath[1]}/_pincer"            # zsh
  $ pincer completion fish > ~/.config/fish/completions/pincer.fish`,
    )
    .action((shell: CompletionShell) => {
      if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) throw new CliError('USAGE', `Unknown shell "${shell}".`);
      ctx.io.stdout.write(completionScript(program, shell));
    });
}
