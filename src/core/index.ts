// The core's public surface, for the CLI, the VS Code layer and tests.

export * from './config';
export * from './causes';
export * from './health';
export * from './log';
export * from './runtime';
export * from './stats';
export * from './portOwner';
export * from './switchyard';
export { expandHome } from './requestLogFile';
