// Types of bullmq.mjs (what the parent and the worker use of it).
export declare const QUEUE: string
export declare function connectionArgs(url: string, options?: Record<string, unknown>, poolMax?: number): unknown[]
export declare function install(url: string): Promise<void>
export declare function pending(url: string): Promise<number>
