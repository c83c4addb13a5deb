import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Returns a factory of fresh temporary directories (e.g. cloud assembly outdirs), all removed
 * after the test file. Call it at the top level of a test file.
 */
export function tmpOutdirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
