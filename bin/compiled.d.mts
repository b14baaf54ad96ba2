export declare const DIST: string;
export declare function isCompiledFresh(): boolean;
export declare function buildCompiled(): Promise<void>;
