export * from './constructs/staging-account-trust';
export * from './constructs/extended-source-server';
