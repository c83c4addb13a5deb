export * from './constructs/staging-account-trust';
export * from './constructs/extended-source-server';
export * from './constructs/drs-initialization';
export * from './constructs/cross-account-roles';
export * from './constructs/monitoring';
export * from './constructs/server-selector';
export * from './constructs/staging-account-extension';
export * from './constructs/staging-trust-stack-set';
<<<<<<< HEAD
export * from './constructs/drs-handler';
=======
export * from './constructs/drs-metrics';
export * from './constructs/coverage-report';
export * from './constructs/drs-dashboard';
>>>>>>> issue10-local
