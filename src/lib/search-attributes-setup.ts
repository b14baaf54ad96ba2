/**
 * Checking and registering Phoenix's search attributes on a namespace through the Temporal
 * operator service, so a real cluster is set up with the same connection the worker and CLI use.
 */
import { isGrpcServiceError, type ConnectionLike } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { PhoenixFamily, PhoenixPercent, PhoenixPlan, PhoenixStage } from '../workflows/search-attributes.js';
import { PhoenixError } from './errors.js';

/** The attributes Phoenix writes, by name. */
export const PHOENIX_SEARCH_ATTRIBUTES: readonly { name: string; type: SearchAttributeType }[] = [
  PhoenixFamily,
  PhoenixStage,
  PhoenixPercent,
  PhoenixPlan,
];

/** The gRPC status of a failed call, if it is one. */
function grpcCode(err: unknown): number | undefined {
  return isGrpcServiceError(err) ? Number(err.code) : undefined;
}

/** gRPC status codes the operator service answers with. */
const GRPC = { NOT_FOUND: 5, ALREADY_EXISTS: 6 } as const;

/** What the namespace holds of one Phoenix attribute. */
export interface AttributeState {
  name: string;
  /** The type Phoenix writes, e.g. `KEYWORD`. */
  type: SearchAttributeType;
  /** `present` with the right type, `missing`, or `conflict` (registered with another type, in `actual`). */
  state: 'present' | 'missing' | 'conflict';
  actual?: string;
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
const PREFIX = 'INDEXED_VALUE_TYPE_';

function typeName(indexed: number): string {
  const name = (IndexedValueType as unknown as Record<number, string | undefined>)[indexed];
  return name?.startsWith(PREFIX) ? name.slice(PREFIX.length) : `type ${indexed}`;
}

function indexedType(type: SearchAttributeType): number {
  return IndexedValueType[`${PREFIX}${type}`];
}

/** Phoenix's attributes as the namespace has them. */
export async function searchAttributeStates(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<AttributeState[]> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  const have = { ...res.systemAttributes, ...res.customAttributes } as Record<string, number>;
  return PHOENIX_SEARCH_ATTRIBUTES.map(({ name, type }) => {
    const actual = have[name];
    if (actual === undefined) return { name, type, state: 'missing' };
    const actualName = typeName(actual);
    return actualName === type
      ? { name, type, state: 'present' }
      : { name, type, state: 'conflict', actual: actualName };
  });
}

function conflictError(conflicts: AttributeState[], namespace: string): PhoenixError {
  return new PhoenixError(
    'PHX_ERR_SEARCH_ATTRIBUTE_CONFLICT',
    `namespace ${namespace} already has ${conflicts.map((c) => `${c.name} as ${c.actual} (Phoenix writes ${c.type})`).join(', ')}; ` +
      'remove or rename it (`temporal operator search-attribute remove --name …`), then run `phoenix setup` again',
    { conflicts: conflicts.map((c) => c.name) },
  );
}

/** Result of {@link registerSearchAttributes}: each attribute and whether it was created now. */
export interface RegisteredAttribute {
  name: string;
  type: SearchAttributeType;
  status: 'created' | 'present';
}

/**
 * Registers the missing attributes; present ones with the right type are left alone, so running
 * it twice is safe.
 * @throws PhoenixError `PHX_ERR_SEARCH_ATTRIBUTE_CONFLICT` when one exists with another type
 * (nothing is registered then); `PHX_ERR_SEARCH_ATTRIBUTES_REFUSED` when the server does not let
 * this connection add them (Temporal Cloud, where `tcld` or the Cloud UI adds them, or an account
 * without the right role).
 */
export async function registerSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<RegisteredAttribute[]> {
  const states = await searchAttributeStates(connection, namespace);
  const conflicts = states.filter((s) => s.state === 'conflict');
  if (conflicts.length > 0) throw conflictError(conflicts, namespace);
  const missing = states.filter((s) => s.state === 'missing');
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((m) => [m.name, indexedType(m.type)])),
      });
    } catch (err) {
      // Another `setup` got there first: what counts is what the namespace holds now.
      if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw refused(err, namespace, missing);
    }
    const after = await searchAttributeStates(connection, namespace);
    const nowConflicting = after.filter((s) => s.state === 'conflict');
    if (nowConflicting.length > 0) throw conflictError(nowConflicting, namespace);
  }
  return states.map(({ name, type, state }) => ({ name, type, status: state === 'missing' ? 'created' : 'present' }));
}

function refused(err: unknown, namespace: string, missing: AttributeState[]): unknown {
  // Any server answer counts: Temporal Cloud manages attributes through its own API, and what it
  // answers here (permission denied, unimplemented, invalid argument) differs by account and version.
  if (!isGrpcServiceError(err)) return err;
  const list = missing.map((m) => `${m.name}=${m.type[0]}${m.type.slice(1).toLowerCase()}`);
  return new PhoenixError(
    'PHX_ERR_SEARCH_ATTRIBUTES_REFUSED',
    `Temporal refused to add search attributes to ${namespace} (${err.details || err.message}); ` +
      `add ${list.join(', ')} with an account that may (self-hosted: \`temporal operator search-attribute create\`; Temporal Cloud: \`tcld namespace search-attributes add -n ${namespace} ${list.map((l) => `--sa ${l}`).join(' ')}\` or the Cloud UI), then run \`phoenix setup\` again`,
    { missing: missing.map((m) => m.name) },
  );
}

/** True for the gRPC "not found" answer (an unknown namespace). */
export function isNotFound(err: unknown): boolean {
  return grpcCode(err) === GRPC.NOT_FOUND;
}
