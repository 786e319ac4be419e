/**
 * Loop-nest payload helpers: loop-kind colours, hover text, a small tokenizer that highlights
 * the printed nest (Python-like text from `workbench.tir.printer`). Pure, unit-tested.
 */
import { ILoopNode } from './types';

/** Colour of each loop kind (the tree's badges and the text's loop headers). */
export const KIND_COLORS: Record<string, string> = {
  serial: '#57606a',
  parallel: '#bc4c00',
  vectorized: '#1a7f37',
  unrolled: '#8250df'
};

/** The label of a tree row: ``for i.outer in parallel(32)``, ``C[i, j] = ...``, ``if ...``. */
export function rowLabel(n: ILoopNode): string {
  switch (n.type) {
    case 'for':
      return `for ${n.var} in ${n.kind === 'serial' ? 'range' : n.kind}(${n.min && n.min !== '0' ? n.min + ', ' : ''}${n.extent})`;
    case 'store':
      return (n.text ?? '').trim();
    case 'allocate':
      return `${n.buffer} = allocate([${(n.shape ?? []).join(', ')}], ${n.dtype})${n.scope ? '  # ' + n.scope : ''}`;
    case 'if':
      return `if ${n.cond}:`;
    case 'pass':
      return 'pass';
    default:
      return n.text ?? n.type;
  }
}

/** What hovering a row says: kind, extent, stage, annotations. */
export function hoverText(n: ILoopNode): string {
  if (n.type === 'for') {
    const ann = Object.entries(n.annotations ?? {})
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    return (
      `${n.kind} loop over ${n.var}: extent ${n.extent}` +
      (n.min && n.min !== '0' ? `, from ${n.min}` : '') +
      (n.stage ? `; stage ${n.stage}` : '') +
      (ann ? `; ${ann}` : '') +
      `; line ${n.line + 1}`
    );
  }
  if (n.type === 'allocate') {
    return `buffer ${n.buffer}: ${n.dtype}[${(n.shape ?? []).join(', ')}] in ${n.scope || 'global'} memory`;
  }
  return `${n.type}${n.stage ? ' in stage ' + n.stage : ''}; line ${n.line + 1}`;
}

/** Every node of a tree, depth first (else branches after then branches). */
export function flatten(tree: ILoopNode[]): ILoopNode[] {
  const out: ILoopNode[] = [];
  const walk = (ns: ILoopNode[]): void => {
    for (const n of ns) {
      out.push(n);
      walk(n.children ?? []);
      walk(n.else_children ?? []);
    }
  };
  walk(tree);
  return out;
}

/** Loops by kind, e.g. ``{serial: 3, vectorized: 1}``. */
export function loopKinds(tree: ILoopNode[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of flatten(tree)) {
    if (n.type === 'for' && n.kind) {
      out[n.kind] = (out[n.kind] ?? 0) + 1;
    }
  }
  return out;
}

export interface IToken {
  text: string;
  cls: string;
}

const KEYWORDS = new Set(['for', 'in', 'if', 'else', 'def', 'and', 'or', 'not', 'pass', 'True', 'False']);
const BUILTINS = new Set(['range', 'allocate', 'select', 'min', 'max']);
const TOKEN = /(#.*$)|(\s+)|(\d+\.\d*(?:e[+-]?\d+)?|\d+(?:e[+-]?\d+)?)|([A-Za-z_][\w.]*)|(\+=|\/\/|==|!=|<=|>=|[-+*/%<>=])|(.)/g;

/** One line of printed loop nest as tokens with highlight classes (``wb-tok-kw``, ``wb-tok-num``...). */
export function tokenize(line: string): IToken[] {
  const out: IToken[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(line)) !== null) {
    const [text, comment, space, num, word, op] = m;
    let cls = 'wb-tok-punct';
    if (comment) {
      cls = 'wb-tok-comment';
    } else if (space) {
      cls = '';
    } else if (num) {
      cls = 'wb-tok-num';
    } else if (word) {
      cls = KEYWORDS.has(word)
        ? 'wb-tok-kw'
        : KIND_COLORS[word] && word !== 'serial'
          ? `wb-tok-kind wb-kind-${word}`
          : BUILTINS.has(word)
            ? 'wb-tok-builtin'
            : /^(float|int|uint|bool)\d*$/.test(word)
              ? 'wb-tok-type'
              : 'wb-tok-name';
    } else if (op) {
      cls = 'wb-tok-op';
    }
    out.push({ text, cls });
    if (text.length === 0) {
      break;
    }
  }
  return out;
}

const LLVM_KEYWORDS = new Set([
  'define', 'declare', 'ret', 'br', 'label', 'phi', 'load', 'store', 'getelementptr', 'inbounds', 'call', 'tail',
  'alloca', 'align', 'to', 'icmp', 'fcmp', 'select', 'switch', 'unreachable', 'attributes', 'nuw', 'nsw', 'fast',
  'noalias', 'nocapture', 'readonly', 'writeonly', 'private', 'internal', 'global', 'constant', 'source_filename',
  'target', 'datalayout', 'triple', 'x', 'zeroinitializer', 'poison', 'undef', 'shufflevector', 'insertelement',
  'extractelement', 'bitcast', 'sext', 'zext', 'trunc', 'sitofp', 'fptosi', 'add', 'sub', 'mul', 'fadd', 'fsub',
  'fmul', 'fdiv', 'sdiv', 'srem', 'udiv', 'urem', 'and', 'or', 'xor', 'shl', 'ashr', 'lshr', 'fneg'
]);
const LLVM_TOKEN = /(;.*$)|(\s+)|("(?:[^"\\]|\\.)*")|([%@][-\w.$]+)|(-?\d+\.\d*(?:e[+-]?\d+)?|-?\d+|0x[0-9A-Fa-f]+)|([A-Za-z_][\w.]*)|(.)/g;

/** One line of LLVM IR as tokens: comments, %values and @globals, types, instructions, numbers. */
export function tokenizeLLVM(line: string): IToken[] {
  const out: IToken[] = [];
  LLVM_TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LLVM_TOKEN.exec(line)) !== null) {
    const [text, comment, space, str, name, num, word] = m;
    let cls = 'wb-tok-punct';
    if (comment) {
      cls = 'wb-tok-comment';
    } else if (space) {
      cls = '';
    } else if (str) {
      cls = 'wb-tok-str';
    } else if (name) {
      cls = 'wb-tok-name';
    } else if (num) {
      cls = 'wb-tok-num';
    } else if (word) {
      cls = /^(i\d+|float|double|half|ptr|void)$/.test(word) ? 'wb-tok-type' : LLVM_KEYWORDS.has(word) ? 'wb-tok-kw' : 'wb-tok-builtin';
    }
    out.push({ text, cls });
    if (text.length === 0) {
      break;
    }
  }
  return out;
}
