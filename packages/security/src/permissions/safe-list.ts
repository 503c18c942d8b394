/**
 * Built-in safe defaults: commands that run without asking and domains that may be
 * reached. Read-only commands are open to every role and each has an allow-list of options and
 * a rule for which operands are paths (judged as reads against the project boundary by the
 * caller). Build and test commands need a role that may run commands; their arguments go to
 * project-defined runners, so they keep arbitrary arguments except the ones refused below.
 */
import { commandPrefix, startsWithTokens } from './commands.js';
import { has, options, parseArgs, type OptionTable, type ParsedOption, type ValueKind } from './options.js';

/** Something a safe command will touch: a path read/write, or text that names nothing. */
interface Operand {
  value: string;
  kind: ValueKind;
  /** Resolve relative to this directory first (`git -C dir`). */
  base?: string;
}

export interface SafeUse {
  operands: Operand[];
  /** Git entries: the directory whose repository git will use (relative to the cwd). */
  repo?: string;
}

/** What an entry makes of its arguments: the operands to judge, or why it is not safe. */
type Syntax = (args: readonly string[]) => SafeUse | { refused: string };

export interface SafeCommand {
  tokens: readonly string[];
  readOnly: boolean;
  /** Read-only entries: the allow-list of options and which operands are paths. */
  syntax?: Syntax;
  /** Build/test entries: why these arguments make it unsafe, or undefined. */
  refuse?: (args: readonly string[]) => string | undefined;
  /** Operands are free text (`echo`): expansions and globs in them are harmless. */
  freeText?: boolean;
  /** From the user's `custom_safe_list`: taken at their word, arguments unchecked. */
  custom?: boolean;
}

type OperandRule = (positionals: string[], parsed: { options: ParsedOption[] }) => Operand[] | string;

const path = (value: string): Operand => ({ value, kind: 'path' });
const text = (value: string): Operand => ({ value, kind: 'text' });
const paths: OperandRule = (pos) => pos.map(path);
const texts: OperandRule = (pos) => pos.map(text);
const none: OperandRule = (pos) => (pos.length > 0 ? `takes no operands here ("${pos[0]}")` : []);
const writes: OperandRule = (pos) => pos.map((value) => ({ value, kind: 'write' }));

/** Option values of kind path/write become operands too (`--exclude-from=FILE`). */
function optionOperands(parsed: { options: ParsedOption[] }): Operand[] {
  return parsed.options.flatMap((o) =>
    o.values.map((value, i) => ({ value, kind: o.kinds[i] ?? 'text' })).filter((x) => x.kind !== 'text'),
  );
}

function gnu(table: OptionTable, rule: OperandRule): Syntax {
  return (args) => {
    const parsed = parseArgs(args, table);
    if (!parsed.ok) return { refused: parsed.reason };
    const operands = rule(parsed.positionals, parsed);
    if (typeof operands === 'string') return { refused: operands };
    return { operands: [...operands, ...optionOperands(parsed)] };
  };
}

/** grep, rg: the first operand is the pattern unless one was given by option. */
const patternThenPaths =
  (patternOptions: string[]): OperandRule =>
  (pos, parsed) =>
    has(parsed, ...patternOptions) ? pos.map(path) : [...pos.slice(0, 1).map(text), ...pos.slice(1).map(path)];

const HELP = '--help --version';

// ---- the read-only entries -------------------------------------------------------------------
// Left out on purpose: options that follow symlinks while recursing (`grep -R`, `rg -L`, `find -L`,
// `tree -l`, `du -L`, `ls -L`, `diff -r`), since a link inside the project may lead outside, and
// anything that writes files or runs programs (`sort -o/--compress-program/-T`, `tree -o/-R/-H`,
// `file -C/-z`, `rg --pre/-z`, `find -exec/-delete/-fprint…`, `diff -l`, `date -s`, `tail -f`), and
// options that take the names of the files to read from another file (`--files0-from`,
// `file -f/--files-from`, `find -files0-from`): the names inside would never be judged.

const LS =
  options(`-a -A -b -B -c -C -d -f -F -g -G -h -H -i -k -l -m -n -N -o -p -q -Q -r -R -s -S -t -u -U -v -x -X -Z -1
  -I= -w= -T= --all --almost-all --author --escape --block-size= --ignore-backups --color? --directory --dired --classify?
  --file-type --format= --full-time --group-directories-first --no-group --human-readable --si --dereference-command-line
  --dereference-command-line-symlink-to-dir --hide= --hyperlink? --indicator-style= --inode --ignore= --kibibytes --literal
  --numeric-uid-gid --hide-control-chars --show-control-chars --quote-name --quoting-style= --reverse --recursive --size
  --sort= --time= --time-style= --tabsize= --width= --context --zero ${HELP}`);
const CAT = options(`-A -b -e -E -n -s -t -T -u -v --show-all --number-nonblank --show-ends --number --squeeze-blank
  --show-tabs --show-nonprinting ${HELP}`);
const HEAD = options(`-c= -n= -q -v -z --bytes= --lines= --quiet --silent --verbose --zero-terminated ${HELP}`, {
  numeric: true,
});
const TAIL = options(`-c= -n= -q -v -z --bytes= --lines= --quiet --silent --verbose --zero-terminated ${HELP}`, {
  numeric: true,
});
const WC = options(`-c -m -l -L -w --bytes --chars --lines --max-line-length --words --total= ${HELP}`);
const GREP = options(
  `-E -F -G -P -i -y -v -w -x -c -L -l -o -q -s -b -H -h -n -T -Z -z -a -I -r -U -V
  -e= -f=path -m= -A= -B= -C= -d= -D= --extended-regexp --fixed-strings --basic-regexp --perl-regexp --regexp= --file=path
  --ignore-case --no-ignore-case --word-regexp --line-regexp --null-data --no-messages --invert-match --max-count=
  --byte-offset --line-number --no-line-number --line-buffered --with-filename --no-filename --label= --only-matching
  --quiet --silent --binary-files= --text --directories= --devices= --recursive --include= --exclude= --exclude-from=path
  --exclude-dir= --files-without-match --files-with-matches --count --initial-tab --null --before-context= --after-context=
  --context= --group-separator= --no-group-separator --color? --colour? --binary ${HELP}`,
  { numeric: true },
);
const RG =
  options(`-A= -B= -C= -c -b -e= -E= -f=path -F -g= -H -h -i -I -j= -l -M= -m= -n -N -o -p -P -q -r= -s -S -t= -T=
  -u -U -v -V -w -x -0 -a -d= -. --after-context= --before-context= --context= --count --count-matches --byte-offset
  --regexp= --encoding= --file=path --fixed-strings --glob= --iglob= --glob-case-insensitive --with-filename --no-filename
  --heading --no-heading --ignore-case --no-ignore --no-ignore-vcs --no-ignore-dot --no-ignore-global --no-ignore-parent
  --no-ignore-exclude --no-ignore-files --no-require-git --ignore-file=path --hidden --no-hidden --threads=
  --files-with-matches --files-without-match --files --max-columns= --max-columns-preview --max-count= --max-depth=
  --max-filesize= --line-number --no-line-number --only-matching --pretty --pcre2 --engine= --quiet --replace= --case-sensitive
  --smart-case --type= --type-not= --type-list --type-add= --unrestricted --multiline --multiline-dotall --invert-match
  --word-regexp --line-regexp --null --null-data --text --binary --no-binary --json --stats --sort= --sortr= --color=
  --colors= --column --no-column --trim --vimgrep --passthru --context-separator= --no-context-separator
  --field-context-separator= --field-match-separator= --line-buffered --block-buffered --mmap --no-mmap --one-file-system
  --no-messages --include-zero --no-config --debug --trace --crlf --no-crlf --path-separator= ${HELP}`);
const STAT = options(`-L -f -t -c= --dereference --file-system --terse --format= --printf= --cached= ${HELP}`);
const FILE = options(`-b -c -E -h -i -k -L -N -n -p -r -s -0 -d -v -e= -F= -m=path -P= --brief --mime --mime-type
  --mime-encoding --extension --keep-going --dereference --no-dereference --no-pad --no-buffer --raw --special-files
  --separator= --exclude= --exclude-quiet= --magic-file=path --print0 --parameter= ${HELP}`);
const DU =
  options(`-a -b -c -D -H -h -k -l -m -P -S -s -x -0 -d= -B= -t= -X=path --all --apparent-size --block-size= --bytes
  --total --dereference-args --max-depth= --human-readable --inodes --si --summarize --threshold= --time? --time-style=
  --exclude-from=path --exclude= --one-file-system --count-links --separate-dirs --null --no-dereference
  ${HELP}`);
const DF = options(`-a -h -H -i -k -l -P -T -v -B= -t= -x= --all --block-size= --human-readable --si --inodes --local
  --output? --portability --print-type --type= --exclude-type= --total --no-sync ${HELP}`);
const TREE =
  options(`-a -d -f -x -i -A -S -n -C -J -X -p -u -g -s -h -D -F -q -N -Q -r -t -c -U -v -L= -P= -I= --gitignore
  --gitfile=path --ignore-case --matchdirs --metafirst --prune --info --infofile=path --noreport --charset= --filelimit=
  --dirsfirst --filesfirst --sort= --si --du --timefmt= --inodes --device --fromfile --version --help`);
const BASENAME = options(`-a -s= -z --multiple --suffix= --zero ${HELP}`);
const DIRNAME = options(`-z --zero ${HELP}`);
const REALPATH =
  options(`-e -m -L -P -q -s -z --canonicalize-existing --canonicalize-missing --logical --physical --quiet
  --strip --no-symlinks --zero --relative-to=path --relative-base=path ${HELP}`);
const READLINK =
  options(`-f -e -m -n -q -s -v -z --canonicalize --canonicalize-existing --canonicalize-missing --no-newline
  --quiet --silent --verbose --zero ${HELP}`);
const DIFF = options(`-i -E -Z -b -w -B -a -q -s -c -u -e -n -y -t -T -p -d -N -I= -C= -U= -W= -F= -x= -X=path -S= -D=
  --normal --brief --report-identical-files --context? --unified? --ed --rcs --side-by-side --width= --left-column
  --suppress-common-lines --show-c-function --show-function-line= --label= --expand-tabs --initial-tab --tabsize=
  --suppress-blank-empty --ignore-case --ignore-file-name-case --no-ignore-file-name-case --ignore-tab-expansion
  --ignore-trailing-space --ignore-space-change --ignore-all-space --ignore-blank-lines --ignore-matching-lines= --text
  --strip-trailing-cr --ifdef= --old-group-format= --new-group-format= --changed-group-format= --unchanged-group-format=
  --line-format= --old-line-format= --new-line-format= --unchanged-line-format= --minimal --horizon-lines=
  --speed-large-files --color? --palette= --new-file --unidirectional-new-file --from-file=path --to-file=path --exclude=
  --exclude-from=path --starting-file= --no-dereference -v ${HELP}`);
const CMP = options(`-b -l -s -i= -n= --print-bytes --verbose --quiet --silent --ignore-initial= --bytes= ${HELP}`);
const CUT =
  options(`-b= -c= -d= -f= -n -s -z --bytes= --characters= --delimiter= --fields= --complement --only-delimited
  --output-delimiter= --zero-terminated ${HELP}`);
const TR = options(`-c -C -d -s -t --complement --delete --squeeze-repeats --truncate-set1 ${HELP}`);
const NL =
  options(`-b= -d= -f= -h= -i= -l= -n= -p -s= -v= -w= --body-numbering= --section-delimiter= --footer-numbering=
  --header-numbering= --line-increment= --join-blank-lines= --number-format= --no-renumber --number-separator=
  --starting-line-number= --number-width= ${HELP}`);
const TAC = options(`-b -r -s= --before --regex --separator= ${HELP}`);
const SUM = options(`-b -t -z --binary --text --tag --zero ${HELP}`);
const SORT = options(`-b -d -f -g -h -i -M -n -R -r -V -c -C -m -s -u -z -k= -t= -S= --ignore-leading-blanks
  --dictionary-order --ignore-case --general-numeric-sort --ignore-nonprinting --month-sort --human-numeric-sort
  --numeric-sort --random-sort --reverse --sort= --version-sort --check? --key= --merge --stable --field-separator=
  --unique --zero-terminated --buffer-size= --parallel= --batch-size= --debug --random-source=path ${HELP}`);
const DATE =
  options(`-d= -f=path -I? -R -r=path -u --date= --file=path --iso-8601? --rfc-3339= --rfc-email --reference=path
  --utc --universal --debug --resolution ${HELP}`);
const TEE = options(`-a -i -p --append --ignore-interrupts --output-error? ${HELP}`);
const UNAME =
  options(`-a -s -n -r -v -m -p -i -o --all --kernel-name --nodename --kernel-release --kernel-version --machine
  --processor --hardware-platform --operating-system ${HELP}`);
const ID = options(`-a -g -G -n -r -u -z -Z --group --groups --name --real --user --zero --context ${HELP}`);
const WHICH = options('-a -s');
const PWD = options('-L -P');
const CD = options('-L -P -e -@');
const NOTHING = options(HELP);
const JQ =
  options(`-n -r -j -a -s -c -C -M -S -e -R -h -V --null-input --raw-input --slurp --compact-output --raw-output
  --raw-output0 --join-output --ascii-output --sort-keys --color-output --monochrome-output --tab --indent= --seq --stream
  --stream-errors --exit-status --unbuffered --arg=text+text --argjson=text+text --rawfile=text+path --slurpfile=text+path
  -f=path --from-file=path --args --jsonargs --help --version`);

/** `jq FILTER FILES…`: the filter may not import modules (they are read from `~/.jq` and other places). */
const jqOperands: OperandRule = (pos, parsed) => {
  const fromFile = has(parsed, '-f', '--from-file');
  const filter = fromFile ? undefined : pos[0];
  const rest = fromFile ? pos : pos.slice(1);
  if (filter !== undefined && /\b(import|include)\b/.test(filter))
    return 'a jq filter with import/include reads modules from elsewhere';
  // After --args/--jsonargs the remaining operands are values, not files.
  if (has(parsed, '--args', '--jsonargs')) return [...(filter === undefined ? [] : [text(filter)])];
  return [...(filter === undefined ? [] : [text(filter)]), ...rest.map(path)];
};

/** `date +FORMAT`; any other operand would set the clock. */
const dateOperands: OperandRule = (pos) =>
  pos.some((p) => !p.startsWith('+')) ? 'an operand not starting with "+" sets the system date' : pos.map(text);

/** `cmp FILE1 FILE2 [SKIP1 [SKIP2]]`. */
const cmpOperands: OperandRule = (pos) => [...pos.slice(0, 2).map(path), ...pos.slice(2).map(text)];

// ---- find: its own expression grammar -------------------------------------------------------
const FIND_NO_VALUE = new Set([
  '-empty',
  '-executable',
  '-readable',
  '-writable',
  '-true',
  '-false',
  '-nouser',
  '-nogroup',
  '-depth',
  '-d',
  '-mount',
  '-xdev',
  '-noleaf',
  '-ignore_readdir_race',
  '-noignore_readdir_race',
  '-daystart',
  '-prune',
  '-quit',
  '-print',
  '-print0',
  '-ls',
  '-and',
  '-a',
  '-or',
  '-o',
  '-not',
  '!',
  '(',
  ')',
  ',',
  '-help',
  '--help',
  '-version',
  '--version',
  '-warn',
  '-nowarn',
]);
const FIND_TEXT_VALUE = new Set([
  '-name',
  '-iname',
  '-path',
  '-ipath',
  '-wholename',
  '-iwholename',
  '-regex',
  '-iregex',
  '-regextype',
  '-type',
  '-xtype',
  '-size',
  '-perm',
  '-user',
  '-group',
  '-uid',
  '-gid',
  '-links',
  '-inum',
  '-mtime',
  '-atime',
  '-ctime',
  '-mmin',
  '-amin',
  '-cmin',
  '-maxdepth',
  '-mindepth',
  '-printf',
  '-fstype',
  '-lname',
  '-ilname',
  '-used',
  '-context',
]);
const FIND_PATH_VALUE = new Set(['-newer', '-anewer', '-cnewer', '-samefile']);

const findSyntax: Syntax = (args) => {
  const operands: Operand[] = [];
  let i = 0;
  // Leading options: -P (the default, never follow links), -H (links named on the line), -D, -O.
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-P' || a === '-H' || /^-O\d$/.test(a)) continue;
    if (a === '-D') {
      i++;
      continue;
    }
    break;
  }
  const starts: string[] = [];
  for (; i < args.length && !/^[-(!,)]/.test(args[i] as string); i++) starts.push(args[i] as string);
  operands.push(...(starts.length > 0 ? starts : ['.']).map(path));
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (FIND_NO_VALUE.has(a)) continue;
    const value = args[i + 1];
    const known = FIND_TEXT_VALUE.has(a) || FIND_PATH_VALUE.has(a) || /^-newer[amcB][amcBt]$/.test(a);
    if (!known) return { refused: `"find ${a}" is not in the safe list` };
    if (value === undefined) return { refused: `"find ${a}" needs a value` };
    i++;
    if (FIND_PATH_VALUE.has(a) || (/^-newer..$/.test(a) && !a.endsWith('t'))) operands.push(path(value));
  }
  return { operands };
};

// ---- git ---------------------------------------------------------------------------------------
// Options that run programs or write files are never listed: --ext-diff, --textconv, --output,
// --show-signature; nor global -c/--config-env/--exec-path/--git-dir/--work-tree/--namespace.
const GIT_DIFF_OPTS = `-p -u -s -U= -W -z -B? -M? -C? -D -R -a -b -w -l= -S= -G= -O=path -I= -0 -1 -2 -3 --patch --no-patch
  --unified= --raw --patch-with-raw --patch-with-stat --indent-heuristic --no-indent-heuristic --minimal --patience
  --histogram --anchored= --diff-algorithm= --stat? --compact-summary --numstat --shortstat --dirstat? --cumulative
  --dirstat-by-file? --summary --name-only --name-status --submodule? --color? --no-color --color-moved? --no-color-moved
  --color-moved-ws= --no-color-moved-ws --word-diff? --word-diff-regex= --color-words? --no-renames --rename-empty
  --no-rename-empty --check --ws-error-highlight= --full-index --binary --abbrev? --break-rewrites? --find-renames?
  --find-copies? --find-copies-harder --irreversible-delete --diff-filter= --find-object= --pickaxe-all --pickaxe-regex
  --skip-to= --rotate-to= --relative? --no-relative --text --ignore-cr-at-eol --ignore-space-at-eol --ignore-space-change
  --ignore-all-space --ignore-blank-lines --ignore-matching-lines= --inter-hunk-context= --function-context --exit-code
  --quiet --ignore-submodules? --src-prefix= --dst-prefix= --no-prefix --default-prefix --line-prefix=
  --ita-invisible-in-index --ita-visible-in-index --no-ext-diff --no-textconv --stat-width= --stat-name-width=
  --stat-count= --stat-graph-width= --output-indicator-new= --output-indicator-old= --output-indicator-context=`;
const GIT_LOG_OPTS = `-n= -i -E -F -P -g -m -c -L= -t -r --max-count= --skip= --since= --after= --until= --before=
  --author= --committer= --grep= --grep-reflog= --all-match --invert-grep --regexp-ignore-case --basic-regexp
  --extended-regexp --fixed-strings --perl-regexp --remove-empty --merges --no-merges --min-parents= --max-parents=
  --no-min-parents --no-max-parents --first-parent --exclude-first-parent-only --not --all --branches? --tags? --remotes?
  --glob= --exclude= --reflog --alternate-refs --single-worktree --ignore-missing --bisect --stdin --cherry-mark
  --cherry-pick --left-only --right-only --cherry --walk-reflogs --merge --boundary --simplify-by-decoration
  --full-history --dense --sparse --simplify-merges --ancestry-path? --show-pulls --date-order --author-date-order
  --topo-order --reverse --no-walk? --do-walk --pretty? --format= --abbrev-commit --no-abbrev-commit --oneline
  --encoding= --expand-tabs? --no-expand-tabs --notes? --no-notes --show-notes? --standard-notes --no-standard-notes
  --relative-date --date= --parents --children --left-right --graph --show-linear-break? --follow --no-decorate
  --decorate? --decorate-refs= --decorate-refs-exclude= --clear-decorations --source --mailmap --no-mailmap --use-mailmap
  --no-use-mailmap --full-diff --log-size --cc --dd --diff-merges= --no-diff-merges --combined-all-paths --show-origin
  --no-color --color?`;
const GIT = {
  status: options(`-s -b -v -z -u? --short --branch --show-stash --porcelain? --long --verbose --untracked-files?
    --ignore-submodules? --ignored? --column? --no-column --ahead-behind --no-ahead-behind --renames --no-renames
    --find-renames? --no-optional-locks`),
  diff: options(`${GIT_DIFF_OPTS} --cached --staged --merge-base --base --ours --theirs --no-index`, { numeric: true }),
  log: options(`${GIT_DIFF_OPTS} ${GIT_LOG_OPTS}`, { numeric: true }),
  show: options(`${GIT_DIFF_OPTS} ${GIT_LOG_OPTS}`, { numeric: true }),
  branch: options(`-a -r -l -v --all --remotes --list --verbose --show-current --no-color --color? --contains?
    --no-contains? --merged? --no-merged? --sort= --format= --points-at= --column? --no-column -i --ignore-case --omit-empty
    --abbrev= --no-abbrev`),
  'rev-parse':
    options(`-q --verify --quiet --sq --short? --abbrev-ref? --symbolic --symbolic-full-name --all --branches?
    --tags? --remotes? --glob= --exclude= --show-toplevel --show-prefix --show-cdup --git-dir --absolute-git-dir
    --git-common-dir --is-inside-work-tree --is-inside-git-dir --is-bare-repository --is-shallow-repository
    --show-superproject-working-tree --show-object-format? --show-ref-format --local-env-vars --resolve-git-dir=path
    --git-path= --path-format= --since= --after= --until= --before= --default= --prefix= --revs-only --no-revs --flags
    --no-flags --not --disambiguate=`),
  'ls-files': options(`-c -d -m -o -i -s -u -k -z -t -v -f --cached --deleted --modified --others --ignored --stage
    --unmerged --killed --directory --no-empty-directory --eol --deduplicate -x= --exclude= -X=path --exclude-from=path
    --exclude-per-directory= --exclude-standard --error-unmatch --with-tree= --full-name --recurse-submodules --abbrev?
    --debug --format= --sparse --resolve-undo`),
  blame: options(`-b -l -t -p -s -e -f -n -w -c -h -M? -C? -L= -S=path --root --show-stats --reverse= --first-parent
    --porcelain --line-porcelain --incremental --encoding= --contents=path --date= --progress --no-progress --ignore-rev=
    --ignore-revs-file=path --color-lines --color-by-age --show-name --show-number --show-email --abbrev= --minimal
    --no-textconv --score-debug`),
} as const;

/** `git branch` only lists: a positional name would create a branch. */
const branchOperands: OperandRule = (pos, parsed) =>
  pos.length === 0 || has(parsed, '-l', '--list') ? pos.map(text) : `"git branch ${pos[0]}" would create a branch`;

/** Global options git may take before the subcommand; everything else (-c, --git-dir, …) refuses. */
const GIT_GLOBAL_FLAGS = new Set([
  '--no-pager',
  '-P',
  '--no-optional-locks',
  '--literal-pathspecs',
  '--glob-pathspecs',
  '--noglob-pathspecs',
  '--icase-pathspecs',
  '--no-replace-objects',
]);

/** Strips git's allowed global options; `-C dir` moves where operands and the repository are. */
function gitGlobals(args: readonly string[]): { rest: string[]; dirs: string[] } | { refused: string } {
  const dirs: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-')) break;
    if (GIT_GLOBAL_FLAGS.has(a)) continue;
    if (a === '-C' && args[i + 1] !== undefined) {
      dirs.push(args[++i] as string);
      continue;
    }
    return { refused: `git option "${a}" can make git read configuration or run programs from elsewhere` };
  }
  return { rest: args.slice(i), dirs };
}

/** Git entries; a format that shows signatures (`%G?`, `%(signature)`) would run gpg. */
function gitSyntax(table: OptionTable, rule: OperandRule): Syntax {
  const inner = gnu(table, rule);
  return (args) =>
    args.some((a) => /%G|%\(signature/.test(a)) ? { refused: 'a signature format runs gpg' } : inner(args);
}

/** Read-only entries, table-driven: executable → options and operand rule. */
const READ_ONLY_SYNTAX: ReadonlyArray<readonly [string[], Syntax]> = [
  [['ls'], gnu(LS, paths)],
  [['cat'], gnu(CAT, paths)],
  [['head'], gnu(HEAD, paths)],
  [['tail'], gnu(TAIL, paths)],
  [['wc'], gnu(WC, paths)],
  ...['grep', 'egrep', 'fgrep'].map(
    (g) => [[g], gnu(GREP, patternThenPaths(['-e', '-f', '--regexp', '--file']))] as [string[], Syntax],
  ),
  [['rg'], gnu(RG, patternThenPaths(['-e', '-f', '--regexp', '--file', '--files', '--type-list']))],
  [['pwd'], gnu(PWD, none)],
  [['cd'], gnu(CD, paths)],
  [['which'], gnu(WHICH, texts)],
  [['whoami'], gnu(NOTHING, none)],
  [['id'], gnu(ID, texts)],
  [['uname'], gnu(UNAME, none)],
  [['stat'], gnu(STAT, paths)],
  [['file'], gnu(FILE, paths)],
  [['du'], gnu(DU, paths)],
  [['df'], gnu(DF, paths)],
  [['tree'], gnu(TREE, paths)],
  [['basename'], gnu(BASENAME, texts)],
  [['dirname'], gnu(DIRNAME, texts)],
  [['realpath'], gnu(REALPATH, paths)],
  [['readlink'], gnu(READLINK, paths)],
  [['diff'], gnu(DIFF, paths)],
  [['cmp'], gnu(CMP, cmpOperands)],
  [['cut'], gnu(CUT, paths)],
  [['tr'], gnu(TR, texts)],
  [['jq'], gnu(JQ, jqOperands)],
  [['nl'], gnu(NL, paths)],
  [['tac'], gnu(TAC, paths)],
  [['sha256sum'], gnu(SUM, paths)],
  [['md5sum'], gnu(SUM, paths)],
  [['sort'], gnu(SORT, paths)],
  [['date'], gnu(DATE, dateOperands)],
  // tee's operands are judged as writes, so it is "read-only" only in that it never needs `command`.
  [['tee'], gnu(TEE, writes)],
  [['find'], findSyntax],
  [['git', 'status'], gitSyntax(GIT.status, paths)],
  [['git', 'diff'], gitSyntax(GIT.diff, paths)],
  [['git', 'log'], gitSyntax(GIT.log, paths)],
  [['git', 'show'], gitSyntax(GIT.show, paths)],
  [['git', 'branch'], gitSyntax(GIT.branch, branchOperands)],
  [['git', 'rev-parse'], gitSyntax(GIT['rev-parse'], paths)],
  [['git', 'ls-files'], gitSyntax(GIT['ls-files'], paths)],
  [['git', 'blame'], gitSyntax(GIT.blame, paths)],
  ...[
    ['node', '--version'],
    ['node', '-v'],
    ['npm', '--version'],
    ['npm', '-v'],
    ['go', 'version'],
    ['cargo', '--version'],
    ['python', '--version'],
    ['python3', '--version'],
    ['tsc', '--version'],
  ].map((tokens) => [tokens, gnu(options(''), none)] as [string[], Syntax]),
];

/** Free-text commands: nothing they are given is a path or an option that does harm. */
const FREE_TEXT = ['echo', 'printf', 'true', 'false'];

const READ_ONLY: SafeCommand[] = [
  ...FREE_TEXT.map((exe) => ({
    tokens: [exe],
    readOnly: true,
    freeText: true,
    syntax: ((args) => ({ operands: args.map(text) })) as Syntax,
  })),
  ...READ_ONLY_SYNTAX.map(([tokens, syntax]) => ({ tokens, readOnly: true, syntax })),
];

// ---- build and test ----------------------------------------------------------------------------
// prettier is not listed: it rewrites files by default. `eslint --fix` stays silent: it only
// rewrites project sources, which a Worker may write anyway. Their arguments are passed on to
// project-defined runners (the project's own code runs anyway), but options that run a program
// named on the command line or point the tool at configuration elsewhere refuse, and every
// path-like argument is judged as a write by the caller (`--outDir /elsewhere` asks).

/** Matches `-x`, `-xVALUE`, `--name`, `--name=…` and, as Go's flag package allows, `-name`/`--name` alike. */
function refuseOptions(...names: string[]): (args: readonly string[]) => string | undefined {
  const bare = names.map((n) => n.replace(/^--?/, ''));
  return (args) => {
    const bad = args.find((a) => {
      if (!a.startsWith('-')) return false;
      const name = a.replace(/^--?/, '').replace(/=.*$/, '');
      return bare.includes(name) || bare.some((n) => n.length === 1 && !a.startsWith('--') && a.slice(1).includes(n));
    });
    return bad === undefined ? undefined : `"${bad}" can run another program or use configuration from elsewhere`;
  };
}
const NPM_REFUSED = refuseOptions(
  '--script-shell',
  '--node-options',
  '--userconfig',
  '--globalconfig',
  '--prefix',
  '-C',
  '--call',
  '-c',
);
const GO_REFUSED = refuseOptions(
  '-exec',
  '-toolexec',
  '-overlay',
  '-modfile',
  '-pkgdir',
  '-asmflags',
  '-gcflags',
  '-ldflags',
  '-gccgoflags',
);
const CARGO_REFUSED = refuseOptions('--config', '-Z', '--manifest-path');
const NODE_TOOL_REFUSED = refuseOptions('--node-options', '--require', '-r', '--import', '--loader');
const PYTEST_REFUSED = refuseOptions('-p', '--rootdir', '--confcutdir', '--pyargs');
const MAKE_REFUSED = refuseOptions(
  '-f',
  '--file',
  '--makefile',
  '-C',
  '--directory',
  '-I',
  '--include-dir',
  '--eval',
  '-E',
);

const BUILD_AND_TEST: SafeCommand[] = [
  ...[
    ['npm', 'test'],
    ['npm', 't'],
    ['npm', 'run', 'test'],
    ['npm', 'run', 'build'],
    ['npm', 'run', 'lint'],
    ['npm', 'run', 'typecheck'],
    ['pnpm', 'test'],
    ['pnpm', 'run', 'test'],
    ['pnpm', 'run', 'build'],
    ['pnpm', 'run', 'lint'],
    ['pnpm', 'run', 'typecheck'],
    ['yarn', 'test'],
    ['yarn', 'run', 'test'],
    ['yarn', 'run', 'build'],
    ['yarn', 'run', 'lint'],
    ['yarn', 'run', 'typecheck'],
  ].map((tokens) => ({ tokens, refuse: NPM_REFUSED })),
  ...[['npx', 'tsc'], ['npx', 'vitest'], ['npx', 'eslint'], ['tsc'], ['vitest'], ['eslint']].map((tokens) => ({
    tokens,
    refuse: NODE_TOOL_REFUSED,
  })),
  ...[
    ['go', 'build'],
    ['go', 'test'],
    ['go', 'vet'],
  ].map((tokens) => ({ tokens, refuse: GO_REFUSED })),
  ...[
    ['cargo', 'build'],
    ['cargo', 'test'],
    ['cargo', 'check'],
    ['cargo', 'clippy'],
  ].map((tokens) => ({ tokens, refuse: CARGO_REFUSED })),
  ...[['pytest'], ['python', '-m', 'pytest'], ['python3', '-m', 'pytest']].map((tokens) => ({
    tokens,
    refuse: PYTEST_REFUSED,
  })),
  { tokens: ['make', 'test'], refuse: MAKE_REFUSED },
].map((e) => ({ ...e, readOnly: false }));

/** @internal exported for tests */
export const SAFE_COMMANDS: readonly SafeCommand[] = [...READ_ONLY, ...BUILD_AND_TEST];

export type SafeMatch = { safe: SafeCommand; use: SafeUse } | { refused: string } | undefined;

/** Build/test arguments that name a place: judged as writes (absolute, `~`, `..`, also as `--opt=value`). */
function buildPathArguments(args: readonly string[]): Operand[] {
  const out: Operand[] = [];
  for (const arg of args) {
    const value = arg.replace(/^--?[A-Za-z][\w-]*=/, '');
    if (/^(\/|~|\.\.(\/|$))/.test(value) || /(^|\/)\.\.(\/|$)/.test(value)) out.push({ value, kind: 'write' });
  }
  return out;
}

/**
 * The safe entry this command is: its leading tokens equal the entry's and the entry is at least
 * as long as the command's prefix, so `npm run test` is safe but `npm run deploy` is not; then
 * its arguments must fit the entry. Git's allowed global options (`git -C dir log`) are skipped.
 */
export function matchSafeCommand(argv: readonly string[], custom: readonly string[][] = []): SafeMatch {
  let words = argv;
  let gitDirs: string[] = [];
  if (argv[0] === 'git') {
    const globals = gitGlobals(argv.slice(1));
    if ('refused' in globals) return { refused: globals.refused };
    words = ['git', ...globals.rest];
    gitDirs = globals.dirs;
  }
  const prefixLength = commandPrefix(words).length;
  for (const entry of SAFE_COMMANDS) {
    if (!startsWithTokens(words, entry.tokens) || entry.tokens.length < prefixLength) continue;
    const args = words.slice(entry.tokens.length);
    if (entry.syntax !== undefined) {
      const use = entry.syntax(args);
      if ('refused' in use) return { refused: use.refused };
      if (words[0] !== 'git') return { safe: entry, use };
      // Operands of `git -C a -C b …` are relative to a/b; so is the repository git uses.
      const joined = gitDirs.map((_, i) =>
        gitDirs.slice(0, i + 1).reduce((acc, d) => (d.startsWith('/') ? d : `${acc}/${d}`)),
      );
      const base = joined.at(-1);
      const dirs = joined.map(path);
      // `HEAD:./x` and `HEAD:../x` name a path relative to the working directory.
      const revPaths = use.operands.flatMap((o) =>
        o.kind === 'path' && /^[^:]+:\.\.?(\/|$)/.test(o.value) ? [path(o.value.slice(o.value.indexOf(':') + 1))] : [],
      );
      const operands = [...use.operands, ...revPaths].map((o) =>
        base === undefined || o.value.startsWith('/') ? o : { ...o, base },
      );
      return { safe: entry, use: { operands: [...dirs, ...operands], repo: base ?? '.' } };
    }
    const refused = entry.refuse?.(args);
    return refused === undefined ? { safe: entry, use: { operands: buildPathArguments(args) } } : { refused };
  }
  // The user's own list is taken at their word: `make` there covers every `make …`.
  const own = custom.find((tokens) => startsWithTokens(argv, tokens));
  return own === undefined
    ? undefined
    : { safe: { tokens: own, readOnly: false, custom: true }, use: { operands: [] } };
}

/** Package registries and documentation sites (exact host names). */
export const SAFE_DOMAINS: ReadonlySet<string> = new Set([
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'npm.pkg.github.com',
  'nodejs.org',
  'pypi.org',
  'files.pythonhosted.org',
  'docs.python.org',
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  'static.rust-lang.org',
  'docs.rs',
  'doc.rust-lang.org',
  'proxy.golang.org',
  'sum.golang.org',
  'pkg.go.dev',
  'go.dev',
  'rubygems.org',
  'repo.maven.apache.org',
  'repo1.maven.org',
  'api.nuget.org',
  'developer.mozilla.org',
  'www.typescriptlang.org',
  'vitest.dev',
  'eslint.org',
]);
