// Types of core.mjs.
export declare const core: typeof import('@pgq/core')
/** A file of the build the bench runs on, e.g. 'cli/main.js' (the pgq bin) or 'queue/retention.js'. */
export declare function coreFile(relative: string): string
