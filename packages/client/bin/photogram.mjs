#!/usr/bin/env node
// The CLI is TypeScript like the rest of the repository; tsx compiles it on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
