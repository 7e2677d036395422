/** Streaming-export selections (§6): SelectionArg's untagged variants and the Selection object. */
import { internalError } from "./errors.js";
import { isIdentifier, isComponentPath } from "./names.js";

interface ColumnSelection {
  other: boolean;
  columns: Map<string, boolean>;
}
interface TableSelection {
  other: boolean;
  tables: Map<string, boolean | ColumnSelection>;
}

/** A compiled selection: which tables are exported, and which of their columns. */
export class ExportFilter {
  private constructor(
    private readonly other: boolean,
    private readonly components: Map<string, boolean | TableSelection>,
  ) {}

  static everything(): ExportFilter {
    return new ExportFilter(true, new Map());
  }

  static singleTable(table: string, component: string): ExportFilter {
    if (!isIdentifier(table) || !isComponentPath(component)) throw internalError();
    const tables = new Map<string, boolean | ColumnSelection>([[table, true]]);
    return new ExportFilter(false, new Map([[component, { other: false, tables }]]));
  }

  static singleComponent(component: string): ExportFilter {
    if (!isComponentPath(component)) throw internalError();
    return new ExportFilter(false, new Map([[component, true]]));
  }

  /** Parses a `selection` object; undefined when it is malformed (the caller falls through). */
  static fromSelection(sel: unknown): ExportFilter | undefined {
    const top = parseLevel(sel);
    if (top === undefined) return undefined;
    const components = new Map<string, boolean | TableSelection>();
    for (const [comp, v] of top.entries) {
      const inc = parseInclusion(v);
      if (inc !== undefined) {
        components.set(comp, inc);
        continue;
      }
      const level = parseLevel(v);
      if (level === undefined) return undefined;
      const tables = new Map<string, boolean | ColumnSelection>();
      for (const [table, tv] of level.entries) {
        const tinc = parseInclusion(tv);
        if (tinc !== undefined) {
          tables.set(table, tinc);
          continue;
        }
        const cols = parseLevel(tv);
        if (cols === undefined) return undefined;
        const columns = new Map<string, boolean>();
        for (const [col, cv] of cols.entries) {
          const cinc = parseInclusion(cv);
          if (cinc === undefined) return undefined;
          columns.set(col, cinc);
        }
        tables.set(table, { other: cols.other, columns });
      }
      components.set(comp, { other: level.other, tables });
    }
    return new ExportFilter(top.other, components).validated();
  }

  /** Name checks happen after parsing and carry no error metadata: a generic 500. */
  private validated(): ExportFilter {
    for (const [comp, c] of this.components) {
      if (!isComponentPath(comp)) throw internalError();
      if (typeof c === "boolean") continue;
      for (const [table, t] of c.tables) {
        if (!isIdentifier(table)) throw internalError();
        if (typeof t === "boolean") continue;
        if (!(t.columns.get("_id") ?? t.other)) throw internalError();
      }
    }
    return this;
  }

  includesTable(component: string, table: string): boolean {
    const c = this.components.get(component);
    if (c === undefined) return this.other;
    if (typeof c === "boolean") return c;
    const t = c.tables.get(table);
    if (t === undefined) return c.other;
    return typeof t === "boolean" ? t : true;
  }

  /** A predicate for kept columns, or undefined when every column is kept. */
  columnFilter(component: string, table: string): ((field: string) => boolean) | undefined {
    const c = this.components.get(component);
    if (c === undefined || typeof c === "boolean") return undefined;
    const t = c.tables.get(table);
    if (t === undefined || typeof t === "boolean") return undefined;
    if (t.other && [...t.columns.values()].every((v) => v)) return undefined;
    return (field) => t.columns.get(field) ?? t.other;
  }
}

function parseInclusion(v: unknown): boolean | undefined {
  if (v === "included" || v === "incl") return true;
  if (v === "excluded" || v === "excl") return false;
  return undefined;
}

/** An object with a required `_other` inclusion plus named entries. */
function parseLevel(v: unknown): { other: boolean; entries: [string, unknown][] } | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const other = parseInclusion(o._other);
  if (other === undefined) return undefined;
  return { other, entries: Object.entries(o).filter(([k]) => k !== "_other") };
}
