// What a result was measured on, so a number read later (or on another machine)
// can be judged: tool version and commit, Node, CPU, the date and the command.
// Never throws: a missing git or a non-checkout install leaves `commit` undefined.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { packageInfo } from './package-info.js';

export interface Environment {
  tool: 'iommu-wasm';
  version: string;
  /** HEAD of the git checkout this package runs from; undefined for an installed copy. */
  commit?: string;
  node: string;
  platform: string;
  arch: string;
  cpu?: string;
  cores: number;
  /** ISO 8601, when the environment was taken. */
  date: string;
  command: string;
}

/** `command` defaults to this process's command line as `iommu-wasm ARGS`, quoted so it can be pasted. */
export function environment(command?: string): Environment {
  const { root, version } = packageInfo();
  const commit = gitCommit(root);
  const cpu = cpus()[0]?.model?.trim();
  return {
    tool: 'iommu-wasm',
    version,
    ...(commit !== undefined ? { commit } : {}),
    node: process.version,
    platform: platform(),
    arch: arch(),
    ...(cpu ? { cpu } : {}),
    cores: cpus().length,
    date: new Date().toISOString(),
    command: command ?? commandLine(process.argv.slice(2)),
  };
}

/** `iommu-wasm` followed by `args`, each quoted for a POSIX shell when it needs it. */
export function commandLine(args: readonly string[]): string {
  return ['iommu-wasm', ...args.map(shellQuote)].join(' ');
}

export function shellQuote(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * HEAD of the checkout whose top folder is `root`. An installed copy sits inside
 * some other project's checkout (node_modules/iommu-wasm); that project's commit
 * says nothing about this package, so the top folder must be `root` itself.
 */
function gitCommit(root: string): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    if (realpathSync(git('rev-parse', '--show-toplevel')) !== realpathSync(root)) return undefined;
    const head = git('rev-parse', 'HEAD');
    return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
  } catch {
    return undefined;
  }
}
