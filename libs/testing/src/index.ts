// The shared test harness: real components started for a test, each cleaned up by the test.
export * from './database';
export * from './dev-idp';
export * from './dev-kafka';
export * from './eventually';
export * from './http-receiver';
export * from './metrics';
export * from './mqtt';
export * from './otlp-receiver';
export * from './repo-root';
export * from './ts-process';
export * from './service';
export * from './topic-reader';
export * from './test-realm';
export * from './platform';
export * from './postgres-server';
