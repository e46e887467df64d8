// What a server costs the machine, for the bench: its CPU time and its resident
// memory, summed over the process and all its descendants, so that a server
// started as a process tree (a cluster primary and its workers) is counted whole.
// Linux only (/proc); elsewhere the figures are undefined and the bench says "-".
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks;

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat (usually 100). */
export function clockTicksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * `pid` and its descendants. /proc/<pid>/task/<tid>/children is not on every
 * kernel (CONFIG_PROC_CHILDREN, and not in some sandboxes), so the parent of
 * every process is read from its stat instead: one pass over /proc.
 */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (!stat) continue;
    const ppid = Number(stat[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const tree = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    tree.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return tree;
}

/**
 * CPU time in ms used so far by `pid` and its descendants (user + system). A
 * descendant's time moves to its parent's cutime/cstime once it has exited and
 * was waited for, so those are added too: the sum only grows, whichever worker
 * exits in between, and the difference of two readings is what the tree used.
 */
export function treeCpuMs(pid) {
  let ticks = 0;
  let seen = false;
  for (const p of processTree(pid)) {
    const stat = readStat(p);
    if (!stat) continue;
    seen = true;
    // After the comm: state is field 3 of the stat, so utime (14), stime (15), cutime (16), cstime (17) are 11-14.
    ticks += Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14]);
  }
  return seen ? (ticks * 1000) / clockTicksPerSecond() : undefined;
}

/** Resident memory in MB of `pid` and its descendants (`tree`, when already known) now. */
export function treeRssMb(pid, tree = processTree(pid)) {
  let kb = 0;
  for (const p of tree) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return kb / 1024;
}

/**
 * Samples the tree's resident memory every `everyMs` until stop(), which answers
 * the maximum in MB. The tree is looked up again once a second only: a pass over
 * /proc costs a few ms, and the sampler shares the cores with the load generator.
 */
export function sampleRss(pid, everyMs = 100) {
  let max = 0;
  let tree;
  let treeAt = 0;
  const read = () => {
    try {
      if (Date.now() - treeAt >= 1000) [tree, treeAt] = [processTree(pid), Date.now()];
      max = Math.max(max, treeRssMb(pid, tree));
    } catch {
      /* no /proc */
    }
  };
  const timer = setInterval(read, everyMs);
  read();
  return {
    stop() {
      clearInterval(timer);
      read();
      return Math.round(max);
    },
  };
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
