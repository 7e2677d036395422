#!/usr/bin/env node
// Runs the bundled connector (scripts/bundle.mjs builds it from dist/main.js); kept as a committed
// file so npm can link the bin before the build runs.
import "../dist/source-convex.mjs";
