/** Adapters: declarative changes to new's answers so legacy clients keep their contract. */
import { z } from 'zod';
import { httpStatus, routePattern } from './primitives.js';

/**
 * Which answers of new an adapter op applies to: one status (`404`), a class (`"4xx"`) or a range
 * (`"400-499"`), judged on the status as it is when the op runs (after earlier `status` ops).
 */
export const STATUS_CONDITION = /^(?:[1-5]\d\d|[1-5]xx|[1-5]\d\d-[1-5]\d\d)$/;
const onStatus = {
  /** Apply this op only to answers with this status, class or range (`404`, `"4xx"`, `"400-499"`). @default every answer */
  onStatus: z
    .union([
      httpStatus,
      z.string().regex(STATUS_CONDITION, 'expected a status (404), a class ("4xx") or a range ("400-499")'),
    ])
    .optional(),
};

/** A declarative change applied to the new service's response so legacy clients keep their contract. */
export const adapterOpSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('rename'),
    from: z.string().startsWith('$'),
    to: z.string().startsWith('$'),
    ...onStatus,
  }),
  z.strictObject({ op: z.literal('unwrap'), path: z.string().startsWith('$'), ...onStatus }),
  z.strictObject({ op: z.literal('wrap'), key: z.string().min(1), ...onStatus }),
  z.strictObject({ op: z.literal('remove'), path: z.string().startsWith('$'), ...onStatus }),
  z.strictObject({ op: z.literal('set'), path: z.string().startsWith('$'), value: z.unknown(), ...onStatus }),
  z.strictObject({
    op: z.literal('status'),
    from: z.number().int().min(100).max(599),
    to: z.number().int().min(100).max(599),
  }),
  z.strictObject({ op: z.literal('header'), name: z.string().min(1), value: z.string(), ...onStatus }),
]);
export type AdapterOp = z.infer<typeof adapterOpSchema>;

export const adapterSchema = z.strictObject({
  /** The endpoint it applies to, as a route pattern (`GET /api/orders/:id`). */
  route: routePattern,
  /** Operations, applied in order. */
  ops: z.array(adapterOpSchema).min(1),
});
export type Adapter = z.infer<typeof adapterSchema>;
