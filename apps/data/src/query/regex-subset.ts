/**
 * `~=` patterns run twice: in PostgreSQL (`like_regex`, an ARE) and in JavaScript (the
 * subscriptions' in-memory matcher). Only the subset both read the same way is accepted, and
 * nothing that can backtrack exponentially in JavaScript (nested quantifiers, back-references),
 * since a pattern is user input evaluated on the broker's event loop.
 */
const MAX_PATTERN_LENGTH = 512;
/** Escapes with one meaning in both engines. (`\b` is a backspace in an ARE, a word boundary in JS.) */
const PORTABLE_ESCAPES = new Set([...'dDwWsStnrfv.\\/-^$*+?()[]{}|']);

/** Why `pattern` is refused, or undefined when both engines accept it with one meaning. */
export function checkPortablePattern(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `is not valid: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  // Per open group: whether a quantifier occurs inside it.
  const groups: boolean[] = [];
  let inClass = false;
  let lastGroupQuantified = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (!PORTABLE_ESCAPES.has(next))
        return `uses the escape \\${next}, which is not supported (use a character class)`;
      i++;
      lastGroupQuantified = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastGroupQuantified = false;
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?<', i) && !pattern.startsWith('(?<=', i) && !pattern.startsWith('(?<!', i)) {
        return 'uses a named group, which is not supported';
      }
      if (pattern[i + 1] === '?' && !/^\(\?(:|=|!|<=|<!)/.test(pattern.slice(i, i + 4))) {
        return 'uses an inline option other than a leading (?i), which is not supported';
      }
      groups.push(false);
      lastGroupQuantified = false;
      continue;
    }
    if (c === ')') {
      lastGroupQuantified = groups.pop() ?? false;
      if (lastGroupQuantified && groups.length > 0) groups[groups.length - 1] = true;
      continue;
    }
    if (c === '*' || c === '+' || c === '{' || c === '?') {
      const previous = pattern[i - 1];
      const quantifiesGroup = previous === ')';
      if (quantifiesGroup && lastGroupQuantified && c !== '?') {
        return 'nests quantifiers (e.g. (a+)+), which can take exponential time';
      }
      if (c !== '?' || !'*+}?'.includes(previous ?? '')) {
        if (groups.length > 0) groups[groups.length - 1] = true;
      }
      if (c === '{') {
        const close = pattern.indexOf('}', i);
        if (close > i) i = close;
      }
      lastGroupQuantified = false;
      continue;
    }
    lastGroupQuantified = false;
  }
  return undefined;
}
