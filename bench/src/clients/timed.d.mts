// Types of timed.mjs.
import type { Producer } from '../clients.ts'
export declare function withTimedLoops(basic: Pick<Producer, 'enqueueOne' | 'enqueueBatch' | 'close'>): Producer
