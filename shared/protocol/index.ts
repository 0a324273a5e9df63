export * from './audit.ts';
export * from './common.ts';
export * from './event.ts';
export * from './health.ts';
export * from './pull.ts';
export * from './push.ts';
export * from './snapshot.ts';
export * from './version.ts';
