/** The demo's hand-written sample data and its changes between the two syncs. */
import type { ConvexEmulator } from "../emulator/emulator.js";

/** A small table that shows every Convex type the mapping cares about. */
export function sampleData(emulator: ConvexEmulator): void {
  emulator.insert("types_tour", [
    { label: "int64 above 2^53", big: 9_007_199_254_740_993n, negative: -(2n ** 63n) },
    { label: "bytes", payload: new Uint8Array([0, 1, 2, 250, 255]).buffer },
    { label: "nested", profile: { name: "Zoë", tags: ["α", "β"], address: { city: "Zürich", zip: "8001" } } },
    { label: "special floats", nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ratio: 0.1 },
    { label: "unicode ✓", text: "こんにちは 🌍" },
  ]);
}

export interface Changes {
  inserted: number;
  updated: number;
  deleted: number;
}

/** Inserts, updates and deletes across the seeded tables, in a few transactions. */
export function applyChanges(emulator: ConvexEmulator): Changes {
  const changes: Changes = { inserted: 0, updated: 0, deleted: 0 };
  const users = emulator.readTable("users");
  const messages = emulator.readTable("messages");
  emulator.transaction((tx) => {
    for (let i = 0; i < 25; i++) {
      tx.insert("users", { name: `New user ${i}`, email: `new${i}@example.com`, score: i * 1.5 });
      changes.inserted++;
    }
  });
  emulator.transaction((tx) => {
    for (const doc of users.slice(0, 40)) {
      tx.patch(doc._id as string, { name: `${String(doc.name)} (renamed)`, visits: 7n });
      changes.updated++;
    }
  });
  emulator.transaction((tx) => {
    for (const doc of messages.slice(0, 30)) {
      tx.delete(doc._id as string);
      changes.deleted++;
    }
    const tour = emulator.readTable("types_tour")[0];
    if (tour) {
      tx.delete(tour._id as string);
      changes.deleted++;
    }
  });
  return changes;
}
