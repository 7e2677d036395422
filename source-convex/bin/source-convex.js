#!/usr/bin/env node
// The compiled entry point; kept as a committed file so npm can link the bin before the build runs.
import "../dist/main.js";
