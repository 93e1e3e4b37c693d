import { makeThumbnail } from './thumbnail.mjs';

/** The queue's handler for a new upload; the queue retries a job whose handler rejects. */
export async function processUpload(job) {
  try {
    job.thumbnail = await makeThumbnail(job.file, job.size);
  } catch (error) {
    // a broken image must not stop the queue
  }
  return job;
}
