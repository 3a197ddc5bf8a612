// Every file tools/deploy-check generates, workspace-relative path → content. The generate
// script writes them; a test fails when a checked-in copy differs.
import { realmImportYaml, REALM_IMPORT_PATH } from './realm-import';
import { serviceChartFiles } from './service-chart';
import { SERVICES } from './services';
import { umbrellaChartFiles } from './umbrella-chart';

export function generatedFiles(workspaceRoot: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const { name, port } of SERVICES) {
    for (const [path, content] of Object.entries(serviceChartFiles(name, port))) files[`charts/${name}/${path}`] = content;
  }
  for (const [path, content] of Object.entries(umbrellaChartFiles())) files[`charts/urbis/${path}`] = content;
  files[REALM_IMPORT_PATH] = realmImportYaml(workspaceRoot);
  return files;
}
