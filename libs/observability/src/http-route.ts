import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * Tells the HTTP instrumentation which route (the template, e.g. `/ngsi-ld/v1/entities/:entityId`)
 * the request in hand matched: its server span is named `<METHOD> <route>` and carries `http.route`,
 * and so do its `http.server.request.duration` points. Call it in the request's context, once the
 * router matched (a Fastify `onRequest` hook). The NestJS instrumentation puts the route on its own
 * handler spans only, so the server span and the request metrics would otherwise have none.
 */
export function recordHttpRoute(route: string): void {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = route;
}
