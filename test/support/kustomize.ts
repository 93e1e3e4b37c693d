/**
 * The manifests as their consumers see them: `kubectl kustomize` renders a directory the way
 * `kubectl apply -k` and Flux's kustomize-controller do. Tests that need it skip, saying why, when
 * kubectl is not installed.
 */
import { execFileSync } from 'node:child_process';
import jsYaml from 'js-yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Whatever the kind holds; each test reads the fields it checks.
  [field: string]: any;
}

function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    return true;
  } catch {
    return false;
  }
}

export const hasKubectl = kubectlAvailable();
if (!hasKubectl) console.warn('manifest tests SKIPPED: kubectl is not installed (apt-get install kubernetes-client)');

/** The objects `kubectl kustomize <dir>` renders. */
export function render(dir: string): K8sObject[] {
  return parseAll(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }));
}

export function parseAll(text: string): K8sObject[] {
  return (jsYaml.loadAll(text) as Array<K8sObject | null>).filter((d): d is K8sObject => d !== null && d !== undefined);
}
