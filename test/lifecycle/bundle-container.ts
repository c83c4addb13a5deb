/**
 * The lifecycle driver's fast path: Lambda "containers" inside the test process. The bundled
 * asset (the very file the template's S3Key points at, byte for byte) is compiled once per file
 * and evaluated afresh per container with Node's CommonJS wrapper, so each container has its own
 * module state (the handler's cached DRS client) as a Lambda execution environment has.
 *
 * Each container gets its own `process` (the real one with the function's environment as
 * `process.env`) and its own `http`/`https`/`http2` modules: when the container is killed (the
 * process dies, or its timeout passes) every later request it starts fails at once, as a killed
 * process's would never be sent. That is what the child-process runner (`lambda-runner.js`) gives
 * by killing the process, at a fraction of the cost: no fork and no module loading per invocation.
 * Test support only.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vm from 'vm';

type Wrapper = (
  exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string, process: NodeJS.Process, console: Console,
) => void;

const compiled = new Map<string, Wrapper>();

/** Compiles a CommonJS file once, with `process` and `console` as extra wrapper parameters. */
function wrapperFor(file: string): Wrapper {
  let fn = compiled.get(file);
  if (!fn) {
    const source = fs.readFileSync(file, 'utf8');
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, process, console) {${source}\n})`, { filename: file });
    // The test process's own context (not a test framework's sandbox): the real globals.
    fn = script.runInThisContext() as Wrapper;
    compiled.set(file, fn);
  }
  return fn;
}

/** The part of the real `process` the bundle sees, before the function's environment is set. */
const realProcess: NodeJS.Process = vm.runInThisContext('process');

export interface ContainerOptions {
  /** Where the function's console goes (Lambda sends it to CloudWatch Logs). @default nowhere */
  readonly output?: Console;
  /** Timings for `createHandler` (this library's bundle). @default the exported handler as deployed */
  readonly timing?: object;
}

/** PUT over http or https (the container's own modules: a killed container sends nothing). */
function localPut(http: any, https: any): (url: string, body: string) => Promise<void> {
  return (url, body) => {
    const parsed = new URL(url);
    const request = parsed.protocol === 'http:' ? http.request : https.request;
    return new Promise((resolve, reject) => {
      const req = request(parsed, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 }, (res: any) => {
        res.resume();
        res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`response PUT answered HTTP ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error('response PUT timed out')));
      req.on('error', reject);
      req.end(body);
    });
  };
}

const noop = () => undefined;
const SILENT = new Proxy({}, { get: () => noop }) as Console;

/** One Lambda execution environment: the bundle loaded once, with the function's environment. */
export class BundleContainer {
  private dead = false;
  readonly handler: (event: unknown, context: unknown) => Promise<unknown>;

  constructor(file: string, exportName: string, env: Record<string, string>, options: ContainerOptions = {}) {
    const requireReal = createRequire(file);
    const isDead = () => this.dead;
    const guard = (mod: any) => {
      const wrapped = Object.create(mod);
      for (const fnName of ['request', 'get', 'connect']) {
        if (typeof mod[fnName] !== 'function') continue;
        wrapped[fnName] = (...args: unknown[]) => {
          const req = mod[fnName](...args);
          if (isDead()) {
            // A killed process sends nothing: the request fails before it is written.
            process.nextTick(() => req.destroy(new Error('the Lambda process was killed')));
          }
          return req;
        };
      }
      return wrapped;
    };
    const http = guard(requireReal('http'));
    const https = guard(requireReal('https'));
    const ownProcess: NodeJS.Process = Object.create(realProcess, { env: { value: { ...env }, enumerable: true } });
    const modules: Record<string, unknown> = {
      http,
      https,
      http2: guard(requireReal('http2')),
      process: ownProcess,
    };
    const require = ((id: string) => {
      const name = id.startsWith('node:') ? id.slice(5) : id;
      return name in modules ? modules[name] : requireReal(id);
    }) as NodeRequire;
    const module = { exports: {} as Record<string, any> };
    wrapperFor(file)(module.exports, require, module, file, path.dirname(file), ownProcess, options.output ?? SILENT);
    // This library's bundle builds its handler with other timings and a response sender (the
    // driver's ResponseURLs are loopback http); any other bundle runs its handler as exported.
    const fn = options.timing && typeof module.exports.createHandler === 'function'
      ? module.exports.createHandler({ timing: options.timing, put: localPut(http, https) })
      : module.exports[exportName];
    if (typeof fn !== 'function') throw new Error(`${file} does not export a function ${exportName}`);
    this.handler = fn;
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** The process is gone: whatever it still tries to send fails. */
  kill(): void {
    this.dead = true;
  }
}
