export * from './constructs/staging-account-trust';
export * from './constructs/extended-source-server';
export * from './constructs/server-selector';
export * from './constructs/staging-account-extension';
