export * from './client';
export * from './stack-resources';
export { CloudFormationClient } from './sdk';
