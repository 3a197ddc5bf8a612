// The route table of a running service, as its OpenAPI document declares it, with the access
// rule libs/auth publishes on every operation (x-urbis-roles or x-urbis-public).
export const ROLES = ['platform-admin', 'tenant-admin', 'operator', 'integrator', 'auditor'] as const;
export type RoleName = (typeof ROLES)[number];

export interface RouteAccess {
  service: string;
  method: string;
  /** OpenAPI path, e.g. `/devices/v1/devices/{deviceId}`. */
  path: string;
  roles?: RoleName[];
  public?: string;
  /** Path parameters, by name, with their schema format when given. */
  params: { name: string; format?: string }[];
}

interface OpenApiOperation {
  'x-urbis-roles'?: RoleName[];
  'x-urbis-public'?: string;
  parameters?: Array<{ in: string; name: string; schema?: { format?: string } }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export async function routesOf(service: string, url: string): Promise<RouteAccess[]> {
  const response = await fetch(`${url}/docs-json`);
  if (response.status !== 200) throw new Error(`${service}: /docs-json answered ${response.status} without a token`);
  const document = (await response.json()) as { paths: Record<string, Partial<Record<(typeof METHODS)[number], OpenApiOperation>>> };
  const routes: RouteAccess[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      routes.push({
        service,
        method: method.toUpperCase(),
        path,
        ...(operation['x-urbis-roles'] && { roles: operation['x-urbis-roles'] }),
        ...(operation['x-urbis-public'] && { public: operation['x-urbis-public'] }),
        params: (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => ({ name: p.name, ...(p.schema?.format && { format: p.schema.format }) })),
      });
    }
  }
  return routes;
}

/** One order for every run: by service, path, method. */
export function byServiceAndPath(a: RouteAccess, b: RouteAccess): number {
  return `${a.service} ${a.path} ${a.method}`.localeCompare(`${b.service} ${b.path} ${b.method}`);
}

/** A URL for the route with every path parameter filled: the tenant named, ids as UUIDs (which every id pattern accepts). */
export function concretePath(route: RouteAccess, tenant: string): string {
  let path = route.path;
  for (const param of route.params) {
    const value = param.name === 'tenant' ? tenant : '00000000-0000-4000-8000-00000000000a';
    path = path.replace(`{${param.name}}`, encodeURIComponent(value));
  }
  return path;
}

/** The role × route table for docs/security.md. */
export function renderMatrix(routes: readonly RouteAccess[]): string {
  const header = `| service | method | path | ${ROLES.join(' | ')} |\n|---|---|---|${ROLES.map(() => '---').join('|')}|`;
  const rows = routes.map((route) => {
    const cells = ROLES.map((role) => (route.public ? '—' : route.roles?.includes(role) ? '✓' : ''));
    const path = route.public ? `${route.path} (public: ${route.public})` : route.path;
    return `| ${route.service} | ${route.method} | \`${path}\` | ${cells.join(' | ')} |`;
  });
  return `${header}\n${rows.join('\n')}\n`;
}
