import type { Context } from 'hono';
import * as v from 'valibot';
import { parseJsonLimited, WeftError } from '../shared/index.ts';
import { ClientAbort } from './client-abort.ts';
import type { Limits } from './limits.ts';

/**
 * Reads a JSON request body under the limits, then validates it with `schema`. The size limit
 * is enforced while streaming (a chunked body with no Content-Length included), before parsing.
 */
export async function readJsonBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  limits: Limits,
  precheck?: (body: unknown) => void,
): Promise<v.InferOutput<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/iu.test(type)) {
    throw new WeftError('unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
  }
  const text = await readLimitedText(c.req.raw, limits.maxBodyBytes);
  const body = parseJsonLimited(text, { maxDepth: limits.maxDepth });
  precheck?.(body);
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
    throw new WeftError('bad_request', `invalid request body: ${path ? `${path}: ` : ''}${issue.message}`);
  }
  return parsed.output;
}

async function readLimitedText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch((error: unknown) => {
      // The body stream fails only when the connection does: the client aborted its upload.
      throw new ClientAbort(error);
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new WeftError('bad_request', 'the body is not valid UTF-8');
  }
}

function tooLarge(maxBytes: number): WeftError {
  return new WeftError('payload_too_large', `the body is larger than ${maxBytes} bytes`, { limit: maxBytes });
}
