export function slugify(title) {
  return title.toLowerCase().replace(/[\s_-]+/g, '-');
}
