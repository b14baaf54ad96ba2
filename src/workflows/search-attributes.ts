/**
 * Search attribute keys the migration keeps current, so the Temporal UI can list "all migrations
 * at 25%" or "all rolled back". The dev server registers them (`src/lib/dev-server.ts`); a real
 * cluster gets them from `phoenix setup` (`src/lib/search-attributes-setup.ts`).
 */
// @temporalio/common is deterministic and is what the SDK itself documents for these keys.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PhoenixFamily = defineSearchAttributeKey('PhoenixFamily', SearchAttributeType.KEYWORD);
export const PhoenixStage = defineSearchAttributeKey('PhoenixStage', SearchAttributeType.KEYWORD);
export const PhoenixPercent = defineSearchAttributeKey('PhoenixPercent', SearchAttributeType.INT);
export const PhoenixPlan = defineSearchAttributeKey('PhoenixPlan', SearchAttributeType.KEYWORD);
