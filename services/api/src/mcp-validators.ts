/**
 * One JSON Schema validator for every MCP client of the API. The SDK's client compiles a validator for
 * each tool's output schema on every tools/list, with a new Ajv per client (one client per person and
 * server): tens of milliseconds of compiling for each new person. The servers' schemas are the same for
 * everyone, so each distinct schema is compiled once here and shared.
 */
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation/types.js';

export function sharedValidator(inner: jsonSchemaValidator, max = 500): jsonSchemaValidator {
  const cache = new Map<string, JsonSchemaValidator<unknown>>();
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const key = JSON.stringify(schema);
      let v = cache.get(key);
      if (!v) {
        v = inner.getValidator<unknown>(schema);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(key, v);
      }
      return v as JsonSchemaValidator<T>;
    },
  };
}
