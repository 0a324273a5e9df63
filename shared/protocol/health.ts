import * as v from 'valibot';

export const HealthResponseSchema = v.object({ ok: v.boolean(), store: v.string(), version: v.string() });
export type HealthResponse = v.InferOutput<typeof HealthResponseSchema>;

export const ErrorBodySchema = v.object({
  error: v.looseObject({ code: v.string(), message: v.string() }),
});
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;
