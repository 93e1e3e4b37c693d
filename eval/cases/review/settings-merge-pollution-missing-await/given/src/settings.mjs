import { readFile, writeFile } from 'node:fs/promises';

/** Copies `patch` into `target`, nested objects key by key. */
function merge(target, patch) {
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      target[key] = merge(target[key] ?? {}, value);
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** PATCH /settings: merges the request's JSON body into the user's saved settings, returns them. */
export async function patchSettings(path, body) {
  const settings = JSON.parse(await readFile(path, 'utf8'));
  merge(settings, JSON.parse(body));
  writeFile(path, JSON.stringify(settings, null, 2));
  return settings;
}
