// The city simulator as a library: a district provisioned through the public APIs, its devices
// reporting over MQTT, HTTP ingest and LoRaWAN webhooks, counted as they go.
export * from './city-clock';
export * from './district';
export * from './district-plan';
export * from './kinds';
export * from './platform-api';
export { profileFor, SIMULATOR_TAG } from './provisioning';
export { Random, seedOf } from './random';
export { chirpstackUp, chirpstackJoin, receptionsOf, type Reception } from './transports/lorawan';
