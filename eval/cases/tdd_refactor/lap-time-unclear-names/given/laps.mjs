export function fmt(n) {
  const a = Math.floor(n / 3600);
  const b = Math.floor((n % 3600) / 60);
  const c = n % 60;
  const x = String(b).padStart(2, '0');
  const y = String(c).padStart(2, '0');
  if (a > 0) return `${a}:${x}:${y}`;
  return `${b}:${y}`;
}

export function fmtAll(arr) {
  let t = 0;
  for (const q of arr) t += q.d;
  return fmt(t);
}
