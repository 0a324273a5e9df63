#!/usr/bin/env node
// The `weft` command (`npx weft audit …`, `npx weft reactions …`): plain Node, on the built CLI.
import { main } from '../dist/lib/cli.js';

process.exitCode = await main(process.argv.slice(2));
