/** Nominal types for the ids and counters that are easy to mix up. */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ClientId = Brand<string, 'ClientId'>;
export type CommandId = Brand<string, 'CommandId'>;
export type Scope = Brand<string, 'Scope'>;
/** A position in one scope's stream (events) or in one client's command sequence. */
export type Seq = Brand<number, 'Seq'>;
