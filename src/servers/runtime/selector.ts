import { SelectorTypes, ServerSelectorProperty } from '../../contract';

/**
 * What a selector can see of a server. `undefined` means "not known": DRS shows a staging
 * server's hostname and tags only while it is extensible; once it is extended into this account,
 * the extended server mirrors the hostname but carries its own tags, not the staging server's.
 */
export interface SelectorSubject {
  readonly hostname: string | undefined;
  readonly tags: Readonly<Record<string, string>> | undefined;
}

/** true: matches; false: does not; undefined: cannot tell from what is known. */
export type Verdict = boolean | undefined;

const globCache = new Map<string, RegExp>();

/** A hostname glob: `*` any run of characters, `?` one character; whole name, case-insensitive. */
export function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern.split('').map((c) => {
      if (c === '*') return '.*';
      if (c === '?') return '.';
      return c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
    }).join('');
    re = new RegExp(`^${body}$`, 'is');
    globCache.set(pattern, re);
  }
  return re;
}

/**
 * Evaluates a selector (wire format, already validated) with three-valued logic: an unknown
 * input makes a condition unknown, and allOf / anyOf / not combine like SQL's AND / OR / NOT.
 * An absent selector selects everything.
 */
export function evaluateSelector(selector: ServerSelectorProperty | undefined, subject: SelectorSubject): Verdict {
  if (!selector) return true;
  switch (selector.Type) {
    case SelectorTypes.ALL:
      return true;
    case SelectorTypes.HOSTNAME: {
      if (subject.hostname === undefined) return undefined;
      const hostname = subject.hostname;
      return (selector.Patterns ?? []).some((p) => globToRegExp(p).test(hostname));
    }
    case SelectorTypes.TAG: {
      if (subject.tags === undefined) return undefined;
      if (!Object.prototype.hasOwnProperty.call(subject.tags, selector.Key!)) return false;
      return selector.Values === undefined || selector.Values.includes(subject.tags[selector.Key!]);
    }
    case SelectorTypes.ALL_OF: {
      const verdicts = (selector.Selectors ?? []).map((s) => evaluateSelector(s, subject));
      if (verdicts.includes(false)) return false;
      return verdicts.every((v) => v === true) ? true : undefined;
    }
    case SelectorTypes.ANY_OF: {
      const verdicts = (selector.Selectors ?? []).map((s) => evaluateSelector(s, subject));
      if (verdicts.includes(true)) return true;
      return verdicts.every((v) => v === false) ? false : undefined;
    }
    case SelectorTypes.NOT: {
      const inner = evaluateSelector(selector.Selectors?.[0], subject);
      return inner === undefined ? undefined : !inner;
    }
    default:
      throw new Error(`unknown selector type '${selector.Type}'`);
  }
}
