import type { StandardSchemaV1 } from '@standard-schema/spec';

export type { StandardSchemaV1 };
export type SchemaOutput<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

export type Validation<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * Validates synchronously with any Standard Schema validator (zod, valibot, arktype).
 * Commands and projections run synchronously, so an async schema is a definition error.
 */
export function validateSchema<S extends StandardSchemaV1>(schema: S, value: unknown): Validation<SchemaOutput<S>> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    throw new TypeError('weft needs synchronous schemas; this one validates asynchronously');
  }
  if (result.issues) return { ok: false, message: describeIssues(result.issues) };
  return { ok: true, value: result.value };
}

function describeIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path?.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
