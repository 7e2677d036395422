export { type DocKind, DocumentGenerator, type GeneratedDoc, type GeneratorOptions, generateDocuments } from "./documents.js";
export { SeededRandom } from "../random.js";
export { type SeedPlanEntry, seedEmulator, seedPlan } from "./seed.js";
