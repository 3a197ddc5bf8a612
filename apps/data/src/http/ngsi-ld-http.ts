import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, NgsiLdError } from '../ngsi-ld/errors';

/** The relation of a JSON-LD context Link (clause 6.3.5). */
export const CONTEXT_REL = 'http://www.w3.org/ns/json-ld#context';

export type ResponseMediaType = 'application/json' | 'application/ld+json' | 'application/geo+json';

/** Content negotiation (clause 6.3.6): JSON unless the client prefers JSON-LD (or GeoJSON, where offered). */
export function negotiate(accept: string | undefined, options: { geoJson?: boolean } = {}): ResponseMediaType {
  if (accept === undefined || accept.trim() === '') return 'application/json';
  const offered: ResponseMediaType[] = ['application/json', 'application/ld+json', ...(options.geoJson ? (['application/geo+json'] as const) : [])];
  let best: { type: ResponseMediaType; q: number; order: number } | undefined;
  accept.split(',').forEach((part, order) => {
    const [range = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const qParameter = parameters.find((parameter) => parameter.startsWith('q='));
    const q = qParameter ? Number(qParameter.slice(2)) : 1;
    if (!(q > 0)) return;
    const type = range === '*/*' || range === 'application/*' ? 'application/json' : offered.find((candidate) => candidate === range);
    if (type && (!best || q > best.q || (q === best.q && range !== '*/*' && order < best.order))) best = { type, q, order };
  });
  if (!best) throw new NgsiLdError('InvalidRequest', `none of ${accept} can be produced: offered ${offered.join(', ')}`, 406);
  return best.type;
}

/** The @context URL of a request's Link header, if it has one; two is an error. */
export function linkedContext(request: FastifyRequest): string | undefined {
  const header = request.headers['link'];
  if (header === undefined) return undefined;
  const found: string[] = [];
  for (const link of (Array.isArray(header) ? header : [header]).flatMap(splitLinks)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (!match) throw badRequest(`the Link header ${JSON.stringify(link)} is not <url>; rel=...`);
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '')?.[1];
    if (rel === CONTEXT_REL) found.push(match[1] as string);
  }
  if (found.length > 1) throw badRequest('a request may link one @context only');
  const url = found[0];
  if (url !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw badRequest(`the linked @context ${JSON.stringify(url)} is not an absolute URL`);
  return url;
}

function splitLinks(header: string): string[] {
  return header.split(/,(?=\s*<)/);
}

export function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The @context a request brings (clause 6.3.5): in the body for JSON-LD (required there), in a
 * Link header for JSON (a body @context is then an error); undefined means the core context.
 */
export function requestContext(request: FastifyRequest, body?: unknown): unknown {
  const mediaType = mediaTypeOf(request);
  const inBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['@context'] : undefined;
  if (mediaType === 'application/ld+json') {
    if (body !== undefined && !Array.isArray(body) && inBody === undefined) throw badRequest('a JSON-LD body (application/ld+json) must carry its @context');
    return inBody;
  }
  if (inBody !== undefined) throw badRequest('an application/json body must not carry an @context: link it (Link header) or send application/ld+json');
  return linkedContext(request);
}

/** Where clients reach the broker: configured, or this request's host. */
export function baseUrlOf(request: FastifyRequest, configured?: string): string {
  if (configured) return configured;
  const protocol = (request.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() ?? request.protocol ?? 'http';
  return `${protocol}://${request.headers['x-forwarded-host'] ?? request.headers.host ?? 'localhost'}`;
}

export function linkHeader(url: string): string {
  return `<${url}>; rel="${CONTEXT_REL}"; type="application/ld+json"`;
}

/** The tenant a request names in NGSILD-Tenant, if any. */
export function namedTenant(request: FastifyRequest): string | undefined {
  const header = request.headers['ngsild-tenant'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && value.trim() !== '' ? value.trim() : undefined;
}

export type Reply = FastifyReply;
