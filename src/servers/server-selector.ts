import { combinedSelector, hostnameSelector, tagSelector } from './selector-wire';
import { SelectorTypes, ServerSelectorProperty } from '../contract';

const NAME = 'ServerSelector';

/**
 * Chooses which servers of a STAGING account a `StagingAccountExtension` extends, by what DRS
 * shows of an extensible staging server: its hostname and its tags IN THE STAGING ACCOUNT.
 *
 * Not for drills: a `RecoveryDrill` picks extended servers of the target account by their tags in
 * the target account, which are other tags (DRS does not copy the staging tags). Use
 * `ExtendedServerSelector` there; a `ServerSelector` given as a drill's `extendedServerSelector`
 * does not compile, and at run time (Python, Java, ...) it is refused at synth.
 *
 * Once a server is extended, DRS no longer shows the staging server's tags in this account (the
 * extended server has its own tags), only its hostname. So when deciding whether an owned server
 * still matches (for `pruneNotMatching`), tag conditions count as unknown, and a server is
 * removed only when the selector is false whatever its tags are: for example when its hostname
 * no longer matches a `hostnameMatches` condition that an `allOf` requires.
 *
 * @example
 * import { ServerSelector } from 'cdk-drs-multi-account';
 *
 * // Production web and app servers, except those tagged dr=exclude.
 * const selector = ServerSelector.allOf(
 *   ServerSelector.hostnameMatches('web-*', 'app-*'),
 *   ServerSelector.tagEquals('env', 'prod', 'production'),
 *   ServerSelector.noneOf(ServerSelector.tagEquals('dr', 'exclude')),
 * );
 */
export class ServerSelector {
  /** Every extensible server of the staging account. */
  public static all(): ServerSelector {
    return new ServerSelector({ Type: SelectorTypes.ALL });
  }

  /**
   * Servers whose hostname matches one of `patterns` as a whole, ignoring case. `*` matches any
   * run of characters and `?` one character, e.g. `web-*.example.com`.
   */
  public static hostnameMatches(...patterns: string[]): ServerSelector {
    return new ServerSelector(hostnameSelector(NAME, patterns));
  }

  /** Servers whose staging tag `key` has one of `values` (exact, case-sensitive). */
  public static tagEquals(key: string, ...values: string[]): ServerSelector {
    return new ServerSelector(tagSelector(NAME, key, values));
  }

  /** Servers that have the staging tag `key`, with any value. */
  public static hasTag(key: string): ServerSelector {
    return new ServerSelector(tagSelector(NAME, key));
  }

  /** Servers matched by every one of `selectors`. */
  public static allOf(...selectors: ServerSelector[]): ServerSelector {
    return new ServerSelector(combinedSelector(NAME, 'allOf', selectors.map((s) => s._render())));
  }

  /** Servers matched by at least one of `selectors`. */
  public static anyOf(...selectors: ServerSelector[]): ServerSelector {
    return new ServerSelector(combinedSelector(NAME, 'anyOf', selectors.map((s) => s._render())));
  }

  /** Servers matched by none of `selectors`. */
  public static noneOf(...selectors: ServerSelector[]): ServerSelector {
    return new ServerSelector(combinedSelector(NAME, 'noneOf', selectors.map((s) => s._render())));
  }

  private constructor(private readonly rendered: ServerSelectorProperty) {}

  /**
   * The selector in the custom resource's properties.
   *
   * @internal
   */
  public _render(): ServerSelectorProperty {
    return this.rendered;
  }
}
