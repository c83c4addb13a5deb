/**
 * The model's templates are built by editing JSON (fast); they must be exactly what the
 * constructs synthesize for the same spec.
 */
import * as fc from 'fast-check';
import { specArbitrary } from './generator';
import { StackSpec, synthSpec, TemplateFactory } from './templates';

jest.setTimeout(120_000);

test('edited templates equal the synthesized ones', () => {
  const factory = new TemplateFactory();
  fc.assert(fc.property(specArbitrary(), (spec) => {
    expect(factory.template(spec)).toEqual(synthSpec(spec).template);
  }), { numRuns: 6, seed: 7 });
});

test('an empty stack and a stack with every kind', () => {
  const factory = new TemplateFactory();
  const specs: StackSpec[] = [
    { servers: [], extensions: [], canary: 3 },
    {
      servers: [{ id: 'SrvA', server: 'S1:1', tags: { Team: 'a' }, retain: true }, { id: 'SrvB', server: 'S2:0', tags: {}, retain: false }],
      extensions: [{ id: 'ExtA', staging: 'S2', selector: { kind: 'tag', role: 'db' }, tags: { Team: 'b' }, prune: true, retain: false }],
      canary: 1,
    },
  ];
  for (const spec of specs) expect(factory.template(spec)).toEqual(synthSpec(spec).template);
});
