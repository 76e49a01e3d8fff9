// Types of core.mjs.
export declare const core: typeof import('@pgq/core')
