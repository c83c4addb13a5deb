import { collectPages } from '../../../src/aws/drs/paginate';

describe('collectPages', () => {
  test('follows nextToken until it is absent, passing each token back', async () => {
    const pages: Record<string, { items: number[]; nextToken?: string }> = {
      start: { items: [1, 2], nextToken: 'a' },
      a: { items: [], nextToken: 'b' },
      b: { items: [3] },
    };
    const asked: Array<string | undefined> = [];
    const items = await collectPages(async (token) => {
      asked.push(token);
      return pages[token ?? 'start'];
    });
    expect(items).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, 'a', 'b']);
  });

  test('stops on a repeated token instead of looping', async () => {
    await expect(collectPages(async () => ({ items: [1], nextToken: 'same' }))).rejects.toThrow('same nextToken twice');
  });

  test('stops after maxPages', async () => {
    let n = 0;
    await expect(collectPages(async () => ({ items: [], nextToken: String(n++) }), 3)).rejects.toThrow('did not finish after 3 pages');
  });
});
