#!/usr/bin/env node
// Runs the bundled connector (scripts/bundle.mjs builds it from dist/main.js); kept as a committed
// file so npm can link the bin before the build runs. Source maps on first, so that the stack trace
// of a TRACE error names our TypeScript files and lines instead of lines of the bundle (the map is
// only read when a stack trace is formatted).
process.setSourceMapsEnabled(true);
await import("../dist/destination-convex.mjs");
