// Types of protocol.mjs, for the TypeScript side of the bench (stats.ts).
export declare const now: () => number
export declare const config: () => unknown
export declare const send: (message: unknown) => Promise<void>
export declare const receive: (type: string) => Promise<unknown>
export declare const cpuUs: (since: NodeJS.CpuUsage) => number
export declare const peakRssKb: () => number
export declare function main(fn: () => Promise<void>): Promise<void>
