import { request } from 'undici';

/** The router's `/metrics` samples, keyed by name with labels as printed (`phoenix_x{family="users"}`). */
export async function readMetrics(adminUrl: string): Promise<Map<string, number>> {
  const text = await (await request(`${adminUrl}/metrics`)).body.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}
