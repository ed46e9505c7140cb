// The vocabulary of config/spec.ts: plain data, no zod, so the fast start-up path can read it too.
// Everything about a key lives in its one entry; schema.ts (zod), spec-check.ts (fast path),
// starter.ts (`car init`'s file), reference.ts (docs/config.md) and json-schema.ts derive from it.

interface KeyBase {
  /** One line for docs/config.md and the JSON Schema's description (Markdown). */
  doc: string;
  /** Comment beside the key in the starter config.yml; `\n` starts a new comment line. */
  hint?: string;
  /** A value shown in the starter's comment ("e.g.") and in the JSON Schema's examples. */
  example?: unknown;
  /** The starter writes the key commented out (its default applies until the user enables it). */
  commented?: boolean;
  /** `null` is accepted too (usually "off" or "no limit"). */
  nullable?: boolean;
  /**
   * The value's default. Every key of a section has one (DEFAULT_CONFIG is total); a key of a list
   * item without one is required in each item.
   */
  default?: unknown;
  /** The "expected …" phrase of errors, when the generated one ("an integer ≥ 0") says too little. */
  expected?: string;
  /** Errors describe the value instead of echoing it (a token). */
  secret?: boolean;
}

export interface StringKey extends KeyBase {
  type: "string";
  default?: string | null;
  /** Default 1: strings are non-empty unless a key says otherwise. */
  minLength?: number;
  /** Without the g or y flag (test() must not keep state). */
  pattern?: RegExp;
  /** Values refused whatever their case (a name the tool itself uses); written in lowercase. */
  reserved?: readonly string[];
}

export interface NumberKey extends KeyBase {
  /** "int": a safe integer. */
  type: "int" | "number";
  default?: number | null;
  min?: number;
  /** Exclusive minimum. */
  gt?: number;
  max?: number;
}

export interface BoolKey extends KeyBase {
  type: "bool";
  default?: boolean | null;
}

export interface StringListKey extends KeyBase {
  type: "string-list";
  default?: readonly string[] | null;
}

export interface EnumKey extends KeyBase {
  type: "enum";
  values: readonly string[];
  default?: string | null;
}

/** The keys of one mapping: a section, or an item of an object list. */
export type KeysSpec = Readonly<Record<string, KeySpec>>;

export interface ObjectListKey extends KeyBase {
  /** A list of mappings. Items keep keys the spec does not know, like sections do. */
  type: "object-list";
  /** Every item's keys (`item`), or items of several kinds told apart by a tag key (`variants`). */
  item?: KeysSpec;
  /** Kinds of item by the value of `tag`: `{ tag: "type", variants: { command: {...}, webhook: {...} } }`. */
  tag?: string;
  variants?: Readonly<Record<string, KeysSpec>>;
  default?: readonly Readonly<Record<string, unknown>>[] | null;
  /** An item key whose (string) values must differ between items, compared case-insensitively. */
  unique?: string;
}

export type KeySpec = StringKey | NumberKey | BoolKey | StringListKey | EnumKey | ObjectListKey;

export interface SectionSpec {
  /** One line for docs/config.md and the JSON Schema. */
  doc: string;
  /** Comment above the section in the starter config.yml. */
  hint?: string;
  keys: KeysSpec;
}

/** config.yml's sections, in the order files are written. `version: 1` comes first, outside the spec. */
export type ConfigSpec = Readonly<Record<string, SectionSpec>>;

// ---- The TypeScript types a spec describes (what the parser returns). ----

type Loose = { [key: string]: unknown };

type BaseValue<K> = K extends { type: "string" }
  ? string
  : K extends { type: "int" | "number" }
    ? number
    : K extends { type: "bool" }
      ? boolean
      : K extends { type: "string-list" }
        ? string[]
        : K extends { type: "enum"; values: readonly (infer V)[] }
          ? V
          : K extends { type: "object-list"; tag: infer T extends string; variants: infer V }
            ? Array<{ [N in keyof V]: ObjectOf<V[N]> & { [P in T]: N } }[keyof V]>
            : K extends { type: "object-list"; item: infer I }
              ? Array<ObjectOf<I>>
              : never;

export type ValueOf<K> = K extends { nullable: true } ? BaseValue<K> | null : BaseValue<K>;

/** A mapping's keys as parsed (unknown keys kept, hence the index signature). */
export type ObjectOf<S> = { -readonly [K in keyof S]: ValueOf<S[K]> } & Loose;

export type ConfigOf<S extends ConfigSpec> = { version: 1 } & {
  -readonly [K in keyof S]: ObjectOf<S[K]["keys"]>;
} & Loose;
