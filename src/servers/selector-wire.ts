/**
 * The wire form of the two selector classes (`ServerSelector` for a `StagingAccountExtension`,
 * `ExtendedServerSelector` for a `RecoveryDrill`), and the checks of their factories' arguments,
 * so both classes build the same JSON and refuse the same mistakes by the method's name.
 * Internal: not exported from the package's index.
 */
import { SelectorTypes, ServerSelectorProperty } from '../contract';

export function hostnameSelector(className: string, patterns: readonly string[]): ServerSelectorProperty {
  if (patterns.length === 0) {
    throw new Error(`${className}.hostnameMatches() needs at least one hostname pattern, e.g. ${className}.hostnameMatches('web-*')`);
  }
  return { Type: SelectorTypes.HOSTNAME, Patterns: [...patterns] };
}

export function tagSelector(className: string, key: string, values?: readonly string[]): ServerSelectorProperty {
  if (values !== undefined && values.length === 0) {
    throw new Error(`${className}.tagEquals('${key}') needs at least one value; for any value use ${className}.hasTag('${key}')`);
  }
  return values === undefined ? { Type: SelectorTypes.TAG, Key: key } : { Type: SelectorTypes.TAG, Key: key, Values: [...values] };
}

export function combinedSelector(className: string, method: 'allOf' | 'anyOf' | 'noneOf', selectors: readonly ServerSelectorProperty[]): ServerSelectorProperty {
  if (selectors.length === 0) throw new Error(`${className}.${method}() needs at least one selector`);
  switch (method) {
    case 'allOf': return { Type: SelectorTypes.ALL_OF, Selectors: [...selectors] };
    case 'anyOf': return { Type: SelectorTypes.ANY_OF, Selectors: [...selectors] };
    default: return { Type: SelectorTypes.NOT, Selectors: [{ Type: SelectorTypes.ANY_OF, Selectors: [...selectors] }] };
  }
}
