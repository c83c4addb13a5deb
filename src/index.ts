export * from './constructs/staging-account-trust';
export * from './constructs/extended-source-server';
export * from './constructs/drs-initialization';
export * from './constructs/cross-account-roles';
export * from './constructs/monitoring';
export * from './constructs/server-selector';
export * from './constructs/staging-account-extension';
export * from './constructs/staging-trust-stack-set';
