export declare const DIST: string;
export declare const CLI_BUNDLE: string;
export declare const CODE_CACHE: string;
export declare function isCompiledFresh(): boolean;
export declare function buildCompiled(): Promise<void>;
