import { OwnerTags } from '../../../src/contract';
import { parseExtendedSourceServerProperties, PropertyError } from '../../../src/servers/runtime/properties';
import { STAGING, STAGING_ARN, STAGING_ID } from '../../support/handler-fixtures';

const parse = (raw: unknown) => parseExtendedSourceServerProperties(raw);
const problem = (raw: unknown) => {
  try {
    parse(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(PropertyError);
    return (err as Error).message;
  }
  throw new Error('expected a PropertyError');
};

describe('parseExtendedSourceServerProperties', () => {
  test('parses the ARN and tags; ServiceToken is ignored', () => {
    const parsed = parse({ ServiceToken: 'arn:aws:lambda:...', StagingSourceServerArn: STAGING_ARN, Tags: { team: 'dr', env: '' } });
    expect(parsed).toEqual({
      stagingSourceServerArn: STAGING_ARN,
      staging: { partition: 'aws', region: 'us-east-1', account: STAGING, sourceServerId: STAGING_ID },
      tags: { team: 'dr', env: '' },
    });
  });

  test('Tags are optional', () => {
    expect(parse({ StagingSourceServerArn: STAGING_ARN }).tags).toEqual({});
  });

  test('a missing or malformed ARN names the property', () => {
    expect(problem({})).toContain('StagingSourceServerArn is required');
    expect(problem({ StagingSourceServerArn: 42 })).toContain('StagingSourceServerArn must be a string');
    expect(problem({ StagingSourceServerArn: 'arn:aws:drs:us-east-1:1111:source-server/s-1' }))
      .toContain("StagingSourceServerArn must be a DRS source server ARN like arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0 (20-2048 characters), got 'arn:aws:drs:us-east-1:1111:source-server/s-1'");
  });

  test('bad tags name the property and the key', () => {
    expect(problem({ StagingSourceServerArn: STAGING_ARN, Tags: ['a'] })).toContain('Tags must be a map of key to value');
    expect(problem({ StagingSourceServerArn: STAGING_ARN, Tags: { 'aws:x': '1' } })).toContain("Tags key 'aws:x' uses the reserved prefix 'aws:'");
    expect(problem({ StagingSourceServerArn: STAGING_ARN, Tags: { [OwnerTags.STACK_ID]: 'x' } }))
      .toContain(`Tags key '${OwnerTags.STACK_ID}' is set by cdk-drs-multi-account to record ownership`);
    expect(problem({ StagingSourceServerArn: STAGING_ARN, Tags: { k: 'v'.repeat(257) } })).toContain("Tags value for 'k' must be a string of at most 256 characters");
    const many = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, 'v']));
    expect(problem({ StagingSourceServerArn: STAGING_ARN, Tags: many })).toContain('Tags has 48 tags; at most 47 are allowed');
  });

  test('unknown properties are rejected (constructs and handler drifted apart)', () => {
    expect(problem({ StagingSourceServerArn: STAGING_ARN, StagingArn: 'x' })).toContain("unknown property 'StagingArn' (expected StagingSourceServerArn, Tags, LaunchSettings)");
  });

  test('all problems are reported at once', () => {
    const msg = problem({ Tags: { 'aws:x': '1' } });
    expect(msg).toMatch(/^invalid properties: StagingSourceServerArn is required; Tags key 'aws:x'/);
  });

  test('non-object properties are rejected', () => {
    expect(problem(undefined)).toBe('ResourceProperties must be an object');
  });
});
