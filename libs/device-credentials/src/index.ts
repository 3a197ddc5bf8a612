export * from './device-token';
