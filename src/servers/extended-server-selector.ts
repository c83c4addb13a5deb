import { combinedSelector, hostnameSelector, tagSelector } from './selector-wire';
import { SelectorTypes, ServerSelectorProperty } from '../contract';

const NAME = 'ExtendedServerSelector';

/**
 * Chooses extended source servers of the TARGET account (the account of the stack that uses
 * it) for a `RecoveryDrill`, by their hostname and their tags IN THE TARGET ACCOUNT, at the time
 * the drill runs.
 *
 * These are the extended servers' own tags (a `StagingAccountExtension`'s `tags`, the owner tags,
 * tags you added in the target account), not the staging servers' tags: DRS does not copy those.
 * To choose which STAGING servers get extended, by their staging-account tags, use
 * `ServerSelector` with `StagingAccountExtension`. The two classes cannot be swapped: TypeScript
 * refuses it, and a construct given the wrong kind at run time (Python, Java, ...) fails at synth.
 *
 * @example
 * import { ExtendedServerSelector } from 'cdk-drs-multi-account';
 *
 * // Extended servers tagged tier=web in the target account, except those tagged dr-drill=skip there.
 * const drilled = ExtendedServerSelector.allOf(
 *   ExtendedServerSelector.tagEquals('tier', 'web'),
 *   ExtendedServerSelector.noneOf(ExtendedServerSelector.tagEquals('dr-drill', 'skip')),
 * );
 */
export class ExtendedServerSelector {
  /** Every extended server of the target account and Region. */
  public static all(): ExtendedServerSelector {
    return new ExtendedServerSelector({ Type: SelectorTypes.ALL });
  }

  /**
   * Servers whose hostname (as DRS shows it) matches one of `patterns` as a whole, ignoring case.
   * `*` matches any run of characters and `?` one character, e.g. `web-*.example.com`.
   */
  public static hostnameMatches(...patterns: string[]): ExtendedServerSelector {
    return new ExtendedServerSelector(hostnameSelector(NAME, patterns));
  }

  /** Servers whose tag `key` in the target account has one of `values` (exact, case-sensitive). */
  public static tagEquals(key: string, ...values: string[]): ExtendedServerSelector {
    return new ExtendedServerSelector(tagSelector(NAME, key, values));
  }

  /** Servers that have the tag `key` in the target account, with any value. */
  public static hasTag(key: string): ExtendedServerSelector {
    return new ExtendedServerSelector(tagSelector(NAME, key));
  }

  /** Servers matched by every one of `selectors`. */
  public static allOf(...selectors: ExtendedServerSelector[]): ExtendedServerSelector {
    return new ExtendedServerSelector(combinedSelector(NAME, 'allOf', selectors.map((s) => s._render())));
  }

  /** Servers matched by at least one of `selectors`. */
  public static anyOf(...selectors: ExtendedServerSelector[]): ExtendedServerSelector {
    return new ExtendedServerSelector(combinedSelector(NAME, 'anyOf', selectors.map((s) => s._render())));
  }

  /** Servers matched by none of `selectors`. */
  public static noneOf(...selectors: ExtendedServerSelector[]): ExtendedServerSelector {
    return new ExtendedServerSelector(combinedSelector(NAME, 'noneOf', selectors.map((s) => s._render())));
  }

  private constructor(private readonly rendered: ServerSelectorProperty) {}

  /**
   * The selector in the drill's definition.
   *
   * @internal
   */
  public _render(): ServerSelectorProperty {
    return this.rendered;
  }
}
