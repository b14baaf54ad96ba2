import { SIZES, type Size } from './bodies.js';

/**
 * A `size=req/s` list such as `small=1500,large=900` (a flag's value) as rates per body size.
 * @throws naming `flag` when a pair is not a known size and a whole number of requests per second
 */
export function parseSizeRates(flag: string, v: string | undefined): Partial<Record<Size, number>> {
  const out: Partial<Record<Size, number>> = {};
  for (const part of v?.split(',') ?? []) {
    const [size, rate] = part.split('=');
    const n = Number(rate);
    if (!SIZES.includes(size as Size) || !Number.isInteger(n) || n <= 0)
      throw new Error(`${flag}: expected size=req/s pairs like small=1500,large=900, got "${part}"`);
    out[size as Size] = n;
  }
  return out;
}
