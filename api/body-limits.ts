/**
 * The largest request body the OpenAPI document admits, so that the body-size limit and the documented lengths agree:
 * a body within every documented maximum is never refused with 413. Lengths are characters (UTF-16 units, as zod
 * counts them); a character takes at most 6 bytes in JSON (`\uXXXX`) and 9 in a form (`%E4%B8%AD`).
 */
type Schema = Record<string, any>;

export const JSON_BYTES_PER_CHAR = 6;
export const FORM_BYTES_PER_CHAR = 9;
/** Formats whose text has a length of its own (an ISO date-time with offset and fraction). */
const FIXED_FORMATS: Record<string, number> = { 'date-time': 40, date: 10 };

/** Where the document leaves a size open: such a body has no largest size, and the limit cannot agree with it. */
export function unbounded(schema: Schema, components: Record<string, Schema>, at = '$', seen = new Set<string>()): string[] {
  const s = resolve(schema, components);
  if (s.$ref) return [];
  if (s.oneOf || s.anyOf) return (s.oneOf ?? s.anyOf).flatMap((x: Schema, i: number) => unbounded(x, components, `${at}|${i}`, seen));
  if (s.allOf) return s.allOf.flatMap((x: Schema, i: number) => unbounded(x, components, `${at}&${i}`, seen));
  if (s.enum || s.type === 'number' || s.type === 'integer' || s.type === 'boolean') return [];
  if (s.type === 'string') return s.maxLength === undefined && !FIXED_FORMATS[s.format] ? [at] : [];
  if (s.type === 'array') return [...(s.maxItems === undefined ? [`${at}[]`] : []), ...unbounded(s.items ?? {}, components, `${at}[]`, seen)];
  if (s.type === 'object' || s.properties) {
    return Object.entries(s.properties ?? {}).flatMap(([k, v]) => unbounded(v as Schema, components, `${at}.${k}`, seen));
  }
  return [at];
}

function resolve(s: Schema, components: Record<string, Schema>): Schema {
  let out = s;
  for (let i = 0; out.$ref && i < 10; i++) out = components[String(out.$ref).replace('#/components/schemas/', '')] ?? out;
  return out;
}

/** Bytes of the largest compact JSON value the schema admits (Infinity where a size is left open). */
export function largestJson(schema: Schema, components: Record<string, Schema>, perChar = JSON_BYTES_PER_CHAR): number {
  const s = resolve(schema, components);
  const nul = s.nullable ? 4 : 0;
  if (s.oneOf || s.anyOf) return Math.max(...(s.oneOf ?? s.anyOf).map((x: Schema) => largestJson(x, components, perChar)));
  if (s.allOf) return s.allOf.reduce((n: number, x: Schema) => n + largestJson(x, components, perChar), 0);
  if (s.enum) return Math.max(...s.enum.map((v: unknown) => Buffer.byteLength(JSON.stringify(v)) * (perChar / 3)));
  if (s.type === 'number' || s.type === 'integer') return 24;
  if (s.type === 'boolean') return Math.max(5, nul);
  if (s.type === 'string') {
    const max = s.maxLength ?? FIXED_FORMATS[s.format];
    return max === undefined ? Infinity : 2 + max * perChar;
  }
  if (s.type === 'array') {
    if (s.maxItems === undefined) return Infinity;
    return 2 + s.maxItems * (largestJson(s.items ?? {}, components, perChar) + 1);
  }
  if (s.type === 'object' || s.properties) {
    return Object.entries(s.properties ?? {}).reduce(
      (n, [k, v]) => n + Buffer.byteLength(JSON.stringify(k)) * (perChar / 3) + 1 + largestJson(v as Schema, components, perChar) + 1,
      2,
    );
  }
  return Infinity;
}

/** Every request body of the document: operation → its schema. */
export function requestBodies(doc: any): { operation: string; schema: Schema }[] {
  const out: { operation: string; schema: Schema }[] = [];
  for (const [p, ops] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(ops)) {
      const schema = op?.requestBody?.content?.['application/json']?.schema;
      if (schema) out.push({ operation: `${method.toUpperCase()} ${p}`, schema });
    }
  }
  return out;
}

/** Operations whose bodies come from the public, unauthenticated: they get a limit of their own, not the staff one. */
const PUBLIC = /^POST \/api\/v1\/notices\//;

/**
 * The body limits in bytes: the staff API's (the largest staff body), the public JSON objection's, and the public
 * form's (the same fields, percent-encoded). Computed from the document at start-up, so a new field moves them.
 */
export function bodyLimits(doc: any): { staff: number; publicJson: number; publicForm: number } {
  const components = doc.components?.schemas ?? {};
  const bodies = requestBodies(doc);
  const open = bodies.flatMap((b) => unbounded(b.schema, components).map((at) => `${b.operation} ${at}`));
  if (open.length) throw new Error(`request bodies without a largest size (give them a max): ${open.join(', ')}`);
  const largest = (list: typeof bodies, perChar: number) => Math.max(...list.map((b) => largestJson(b.schema, components, perChar)));
  const pub = bodies.filter((b) => PUBLIC.test(b.operation));
  return {
    staff: largest(bodies.filter((b) => !PUBLIC.test(b.operation)), JSON_BYTES_PER_CHAR),
    publicJson: largest(pub, JSON_BYTES_PER_CHAR),
    publicForm: largest(pub, FORM_BYTES_PER_CHAR),
  };
}
