// The core's public surface, for the CLI, the VS Code layer and tests.

export * from './config';
export * from './classify';
export * from './outcomes';
export * from './health';
export * from './log';
export * from './runtime';
export * from './stats';
export * from './portOwner';
export * from './switchyard';
export { expandHome } from './requestLogFile';
