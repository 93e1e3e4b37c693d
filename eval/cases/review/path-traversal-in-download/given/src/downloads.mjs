import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentType } from './mime.mjs';

const UPLOAD_DIR = '/srv/app/uploads';

/** GET /files/:name: sends a file a user uploaded back to the browser. */
export async function sendUpload(req, res) {
  const name = decodeURIComponent(req.params.name);
  const body = await readFile(join(UPLOAD_DIR, name));
  res.setHeader('Content-Type', contentType(name));
  res.end(body);
}
