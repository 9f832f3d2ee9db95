// Countdown expressions (TinyZero's task): a small parser that reads a stated expression without eval,
// the check that it uses each given number exactly once, and the enumeration of every expression over
// the numbers that gives the task its chance baseline.
export const COUNTDOWN_OPS = ['+', '-', '*'] as const;
export type CountdownOp = (typeof COUNTDOWN_OPS)[number];

/** What a stated expression is: the numbers it uses, in order, and its value. */
export interface ParsedExpression {
  numbers: number[];
  value: number;
}

/** Longer statements are no expression over four small numbers: refusing them bounds the parser's work. */
const MAX_LENGTH = 200;
const MAX_DEPTH = 16;
/** Numbers beyond six digits are never given, and larger ones would lose precision as doubles. */
const MAX_DIGITS = 6;
const TOKEN = /\s*(?:(\d+)|(.))/gsy;

type Token = { number: number } | { symbol: string };

/** Why the parser stopped; caught in parseExpression and returned as its reason. */
class Refusal extends Error {}
const refuse = (reason: string): never => {
  throw new Refusal(reason);
};

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null && m[0] !== ''; m = TOKEN.exec(text)) {
    const [, digits, symbol] = m;
    if (digits !== undefined) {
      if (digits.length > MAX_DIGITS) return `number ${digits.slice(0, 8)}… is too long`;
      if (digits.length > 1 && digits.startsWith('0')) return `number ${digits} has a leading zero`;
      tokens.push({ number: Number(digits) });
    } else if (symbol !== undefined && /\s/.test(symbol)) {
      break; // trailing whitespace
    } else if (symbol === '/' || symbol === '÷') {
      return 'division is not allowed: use + - * only';
    } else {
      const op = symbol === '×' || symbol === '·' ? '*' : symbol;
      if (op === undefined || !'+-*()'.includes(op)) return `unexpected ${JSON.stringify(symbol)}: use numbers, + - * and brackets`;
      tokens.push({ symbol: op });
    }
  }
  return tokens;
}

/**
 * Reads `text` as an expression: integers, + - * (× and · read as *), brackets and spaces; * binds
 * tighter than + and -, which go left to right. No sign before a number, no division, nothing else.
 */
export function parseExpression(text: string): ParsedExpression | { reason: string } {
  if (text.length > MAX_LENGTH) return { reason: `longer than ${MAX_LENGTH} characters` };
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return { reason: tokens };
  const numbers: number[] = [];
  let at = 0;
  const peek = (): string | undefined => {
    const token = tokens[at];
    return token !== undefined && 'symbol' in token ? token.symbol : undefined;
  };
  // Each returns the value, or refuses with the reason the caller returns.
  const expression = (depth: number): number => {
    let value = term(depth);
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      at += 1;
      const right = term(depth);
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  const term = (depth: number): number => {
    let value = factor(depth);
    while (peek() === '*') {
      at += 1;
      value *= factor(depth);
    }
    return value;
  };
  const factor = (depth: number): number => {
    const token = tokens[at++];
    if (token === undefined) return refuse('ends where a number was expected');
    if ('number' in token) {
      numbers.push(token.number);
      return token.number;
    }
    if (token.symbol === '(') {
      if (depth >= MAX_DEPTH) refuse(`brackets nested deeper than ${MAX_DEPTH}`);
      const value = expression(depth + 1);
      if (peek() !== ')') refuse('a bracket is not closed');
      at += 1;
      return value;
    }
    if (token.symbol === '-' || token.symbol === '+') refuse('a sign before a number is not allowed');
    return refuse(`unexpected ${JSON.stringify(token.symbol)} where a number was expected`);
  };
  try {
    const value = expression(0);
    if (at < tokens.length) return { reason: peek() === ')' ? 'a closing bracket has no opening one' : 'two numbers without an operator between them' };
    return { numbers, value };
  } catch (error) {
    if (error instanceof Refusal) return { reason: error.message };
    throw error;
  }
}

/** Why `used` is not exactly the multiset `given`, or undefined when it is. */
export function numbersMismatch(used: readonly number[], given: readonly number[]): string | undefined {
  const left = new Map<number, number>();
  for (const n of given) left.set(n, (left.get(n) ?? 0) + 1);
  for (const n of used) {
    const count = left.get(n);
    if (count === undefined) return `uses ${n}, which is not given`;
    if (count === 0) return `uses ${n} more often than it is given`;
    left.set(n, count - 1);
  }
  const missing = [...left].filter(([, count]) => count > 0).map(([n]) => n);
  return missing.length === 0 ? undefined : `does not use ${missing.join(', ')}`;
}

/** A binary expression tree over the given numbers, as the generator builds it and the solution writes it. */
export type ExpressionTree = number | { op: CountdownOp; left: ExpressionTree; right: ExpressionTree };

export function evaluateTree(tree: ExpressionTree): number {
  if (typeof tree === 'number') return tree;
  const [a, b] = [evaluateTree(tree.left), evaluateTree(tree.right)];
  return tree.op === '+' ? a + b : tree.op === '-' ? a - b : a * b;
}

const isSum = (tree: ExpressionTree): boolean => typeof tree !== 'number' && tree.op !== '*';

/** The tree as text with only the brackets its value needs: `(25-7)*3`, `25-(7+3)`, `7*3+25`. */
export function formatTree(tree: ExpressionTree): string {
  if (typeof tree === 'number') return String(tree);
  const wrap = (child: ExpressionTree, needed: boolean) => (needed ? `(${formatTree(child)})` : formatTree(child));
  const left = wrap(tree.left, tree.op === '*' && isSum(tree.left));
  const right = wrap(tree.right, tree.op === '*' ? isSum(tree.right) : tree.op === '-' && isSum(tree.right));
  return `${left}${tree.op}${right}`;
}

/** Every value an expression over `numbers` in this order can take: each bracketing, each operator per gap. */
function orderedValues(numbers: readonly number[]): number[] {
  if (numbers.length === 1) return [numbers[0]!];
  const values: number[] = [];
  for (let split = 1; split < numbers.length; split++) {
    const lefts = orderedValues(numbers.slice(0, split));
    const rights = orderedValues(numbers.slice(split));
    for (const a of lefts) for (const b of rights) values.push(a + b, a - b, a * b);
  }
  return values;
}

function permutations<T>(values: readonly T[]): T[][] {
  if (values.length <= 1) return [[...values]];
  return values.flatMap((value, i) => permutations([...values.slice(0, i), ...values.slice(i + 1)]).map((rest) => [value, ...rest]));
}

/**
 * The chance baseline: of all expressions that use each number once (an order of the numbers, a bracketing
 * and an operator per gap, each picked uniformly: n! · Catalan(n-1) · 3^(n-1) of them, 108 for three numbers,
 * 3240 for four), the fraction whose value is `target`. Repeated numbers repeat every expression equally
 * often, so the fraction is the same as over distinct expressions.
 */
export function countdownChance(numbers: readonly number[], target: number): number {
  let hits = 0;
  let total = 0;
  for (const order of permutations(numbers)) {
    for (const value of orderedValues(order)) {
      total += 1;
      if (value === target) hits += 1;
    }
  }
  return hits / total;
}
