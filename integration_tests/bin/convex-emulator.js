#!/usr/bin/env node
// The compiled emulator CLI; kept as a committed file so npm can link the bin before the build runs.
import "../dist/emulator/main.js";
