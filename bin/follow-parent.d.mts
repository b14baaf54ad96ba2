export declare const FOLLOW_PARENT_EVERY_MS: number;
export declare function followParent(env?: NodeJS.ProcessEnv, everyMs?: number): boolean;
