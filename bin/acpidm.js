#!/usr/bin/env node
// Entry point for `npx acpidm`. The TypeScript sources are compiled to dist/ (and the CLI bundled into dist/bundle/)
// by `npm install` (the `prepare` script) or `npm run build`.
import { loadCli } from './load-cli.js';

const main = await loadCli('acpidm');
process.exitCode = await main(process.argv.slice(2));
