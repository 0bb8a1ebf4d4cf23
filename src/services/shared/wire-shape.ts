import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/**
 * What a JSON Schema admits, as a TypeScript type, read-only all the way down: an API's answer is
 * read, never changed, and a read-only type takes both read-only and mutable values.
 */
export type WireShape<S extends JSONSchema> = DeepReadonly<FromSchema<S>>;

type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
