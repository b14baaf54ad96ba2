/**
 * What a family name may be, apart from the plan schema so the CLI checks a family argument without
 * loading zod and building every schema of the plan.
 */

/** What a family name may be: it becomes part of workflow ids, metrics labels and file names. */
export const FAMILY_NAME = /^[a-z][a-z0-9-]{0,62}$/;
